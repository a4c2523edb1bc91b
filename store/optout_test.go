package store_test

import (
	"context"
	"testing"

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
