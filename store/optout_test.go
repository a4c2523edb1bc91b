package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOptOutAddRemoveListMany(t *testing.T) {
	t.Parallel()
	st := newStore(t, nil)
	ctx := context.Background()
	const a, b, c = "+255712000001", "+255712000002", "+255712000003"
	for _, contact := range []string{b, a} {
		if err := st.OptOut(ctx, "acct", contact, "STOP"); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := st.OptedOut(ctx, "acct", a); err != nil || !ok {
		t.Errorf("OptedOut(a) = %v, %v; want true", ok, err)
	}
	if ok, err := st.OptedOut(ctx, "other", a); err != nil || ok {
		t.Errorf("OptedOut on another account = %v, %v; want false", ok, err)
	}
	list, err := st.OptOuts(ctx, "acct")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{a, b}, list); diff != "" {
		t.Errorf("OptOuts (-want +got):\n%s", diff)
	}
	many, err := st.OptedOutMany(ctx, "acct", []string{c, a, b})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{false, true, true}, many); diff != "" {
		t.Errorf("OptedOutMany (-want +got):\n%s", diff)
	}
	if err := st.OptIn(ctx, "acct", a); err != nil {
		t.Fatal(err)
	}
	if err := st.OptIn(ctx, "acct", c); err != nil {
		t.Errorf("OptIn of a contact never opted out: %v", err)
	}
	if ok, err := st.OptedOut(ctx, "acct", a); err != nil || ok {
		t.Errorf("OptedOut(a) after OptIn = %v, %v; want false", ok, err)
	}
	list, err = st.OptOuts(ctx, "acct")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{b}, list); diff != "" {
		t.Errorf("OptOuts after OptIn (-want +got):\n%s", diff)
	}
	if many, err := st.OptedOutMany(ctx, "acct", nil); err != nil || len(many) != 0 {
		t.Errorf("OptedOutMany(nil) = %v, %v", many, err)
	}
}

// Opt-out changes are ordered by when they were asked for: an older one
// arriving late changes nothing.
func TestOptOutAtKeepsTheLatestChange(t *testing.T) {
	t.Parallel()
	st := newStore(t, nil)
	ctx := context.Background()
	const c = "+255712000009"
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		out         bool
		at          time.Duration
		wantApplied bool
		wantOut     bool
	}{
		{true, 0, true, true},
		{false, time.Minute, true, false},
		{true, 0, false, false},                // the STOP again, late
		{true, 30 * time.Second, false, false}, // older than the START
		{true, 2 * time.Minute, true, true},
		{false, time.Minute, false, true},
	}
	for i, s := range steps {
		var applied bool
		var err error
		if s.out {
			applied, err = st.OptOutAt(ctx, "acct", c, "STOP", t0.Add(s.at))
		} else {
			applied, err = st.OptInAt(ctx, "acct", c, t0.Add(s.at))
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := st.OptedOut(ctx, "acct", c)
		if err != nil || applied != s.wantApplied || out != s.wantOut {
			t.Errorf("step %d: applied %v, opted out %v (%v); want %v, %v", i, applied, out, err, s.wantApplied, s.wantOut)
		}
	}
}

// A window error reported at t closes a window opened before t only, and
// records the closure where no window was recorded at all.
func TestCloseWindowBefore(t *testing.T) {
	t.Parallel()
	st := newStore(t, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	const early, late, never = "+255712000011", "+255712000012", "+255712000013"
	if err := st.SetLastInbound(ctx, "acct", "", early, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.SetLastInbound(ctx, "acct", "", late, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		contact string
		closed  bool
	}{{early, true}, {late, false}, {never, true}} {
		closed, err := st.CloseWindowBefore(ctx, "acct", "", c.contact, t0)
		if err != nil || closed != c.closed {
			t.Errorf("%s: closed %v, %v; want %v", c.contact, closed, err, c.closed)
		}
	}
	if _, ok, _ := st.LastInbound(ctx, "acct", "", early); ok {
		t.Error("the early window is still recorded")
	}
	if _, ok, _ := st.LastInbound(ctx, "acct", "", late); !ok {
		t.Error("the window opened after the error was closed")
	}
	for _, c := range []struct {
		contact string
		closed  bool
	}{{early, true}, {late, false}, {never, true}} {
		if closed, err := st.WindowClosed(ctx, "acct", "", c.contact, t0.Add(time.Minute)); err != nil || closed != c.closed {
			t.Errorf("%s: WindowClosed %v, %v; want %v", c.contact, closed, err, c.closed)
		}
	}
	// An earlier report of the same closure keeps the later one.
	if closed, err := st.CloseWindowBefore(ctx, "acct", "", never, t0.Add(-time.Hour)); err != nil || !closed {
		t.Errorf("earlier report: closed %v, %v; want true", closed, err)
	}
	if closed, _ := st.WindowClosed(ctx, "acct", "", never, t0.Add(23*time.Hour+30*time.Minute)); !closed {
		t.Error("an earlier report moved the closure back")
	}
}
