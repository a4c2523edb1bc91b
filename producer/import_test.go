package producer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

func TestImportCSVCountsRowsAndWritesRejectsWithLineNumbers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	long := strings.Repeat("a", 4100)
	input := "\ufeffphone, Name ,code\r\n" + // 1: BOM, spaces and case in the header
		"+255712345678,Amina,A1\n" + // 2: accepted
		"0712345679,Baraka,B2\n" + // 3: national number, default region TZ: accepted
		"+25571234,Chausiku,C3\n" + // 4: invalid phone
		"+255712345680,,D4\n" + // 5: empty placeholder value
		"+255712345681,Dora\n" + // 6: wrong field count
		"+255 712 345 678,Amina again,A1\n" + // 7: same recipient as line 2, in a later batch
		"\n" + // 8: blank, skipped
		`"+255712345682","Eli ""the"" one",E5` + "\n" + // 9: quoted fields: accepted
		"+255712345683,\"two\nlines\",F6\n" + // 10–11: a field across two lines: accepted
		"+255712345684,bad\"quote,G7\n" + // 12: unparsable
		",,\n" + // 13: a spreadsheet's empty row, skipped
		",Nobody,H8\n" + // 14: no phone
		"+255712345685," + long + ",I9\n" + // 15: body over the limit
		"+255712345686,Faraji,J10" // 16: accepted, no final newline

	var rejects bytes.Buffer
	var calls []producer.Progress
	p := h.Producer(producer.Config{DefaultRegion: "TZ", BatchSize: 2, EnqueueWorkers: 3})
	res, err := p.Import(bg, textSpec("spring"), strings.NewReader(input), producer.Options{
		Rejects:  &rejects,
		Progress: func(pr producer.Progress) { calls = append(calls, pr) },
	})
	must(t, err)

	want := producer.Result{CampaignCreated: true, Progress: producer.Progress{Lines: 12, Accepted: 5, Duplicate: 1, Rejected: 6}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	bodyLen := len("Hi ") + len(long) + len(", your code is ") + len("I9")
	wantRejects := "line,reason,phone,\" Name \",code\n" +
		`4,"phone ""+25571234"" is not a valid phone number",+25571234,Chausiku,C3` + "\n" +
		`5,"column ""name"" is empty (the message uses {{name}})",+255712345680,,D4` + "\n" +
		`6,"row has 2 fields, the header has 3",+255712345681,Dora` + "\n" +
		`12,"unreadable CSV: bare "" in non-quoted-field"` + "\n" +
		`14,phone is empty,,Nobody,H8` + "\n" +
		fmt.Sprintf(`15,"message: text: body is %d characters, the limit is 4096",+255712345685,%s,I9`, bodyLen, long) + "\n"
	if diff := cmp.Diff(wantRejects, rejects.String()); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
	if len(calls) < 3 || calls[len(calls)-1] != res.Progress {
		t.Errorf("progress calls = %+v; want one per batch and the final counts last", calls)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Lines < calls[i-1].Lines {
			t.Errorf("progress went backwards: %+v then %+v", calls[i-1], calls[i])
		}
	}

	got := h.Pending(t, message.LaneNormal)
	var gotBodies []string
	for _, m := range got {
		gotBodies = append(gotBodies, m.To+" "+m.Content.Text.Body)
		if m.CampaignID != "spring" || m.Account != "tujenge-main" || !m.CreatedAt.Equal(t0) || !m.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
			t.Errorf("message %s = %+v", m.ID, m)
		}
		if m.ID != message.CampaignMessageID("spring", m.To) {
			t.Errorf("message id %q, want campaign id + recipient", m.ID)
		}
	}
	wantBodies := []string{
		"+255712345678 Hi Amina, your code is A1",
		"+255712345679 Hi Baraka, your code is B2",
		`+255712345682 Hi Eli "the" one, your code is E5`,
		"+255712345683 Hi two\nlines, your code is F6",
		"+255712345686 Hi Faraji, your code is J10",
	}
	if diff := cmp.Diff(wantBodies, gotBodies); diff != "" {
		t.Errorf("queued messages (-want +got):\n%s", diff)
	}

	counts, err := h.St.CampaignCounts(bg, "spring")
	must(t, err)
	if diff := cmp.Diff(store.Counts{message.Queued: 5}, counts); diff != "" {
		t.Errorf("campaign counts (-want +got):\n%s", diff)
	}
	stats, runs, err := h.St.CampaignImportStats(bg, "spring")
	must(t, err)
	if diff := cmp.Diff(store.ImportStats{Accepted: 5, Duplicate: 1, Rejected: 6}, stats); diff != "" || runs != 1 {
		t.Errorf("import stats after %d runs (-want +got):\n%s", runs, diff)
	}
	c, err := h.St.Campaign(bg, "spring")
	must(t, err)
	if c.Account != "tujenge-main" || !json.Valid(c.Spec) {
		t.Errorf("campaign = %+v", c)
	}
	// The campaign keeps the rejects too, each row as written (cut to
	// 512 bytes).
	kept, err := h.St.CampaignRejects(bg, "spring", 0)
	must(t, err)
	wantKept := []store.Reject{
		{Line: 4, Reason: `phone "+25571234" is not a valid phone number`, Row: "+25571234,Chausiku,C3"},
		{Line: 5, Reason: `column "name" is empty (the message uses {{name}})`, Row: "+255712345680,,D4"},
		{Line: 6, Reason: "row has 2 fields, the header has 3", Row: "+255712345681,Dora"},
		{Line: 12, Reason: `unreadable CSV: bare " in non-quoted-field`, Row: `+255712345684,bad"quote,G7`},
		{Line: 14, Reason: "phone is empty", Row: ",Nobody,H8"},
		{Line: 15, Reason: fmt.Sprintf("message: text: body is %d characters, the limit is 4096", bodyLen), Row: ("+255712345685," + long)[:512]},
	}
	if diff := cmp.Diff(wantKept, kept); diff != "" {
		t.Errorf("kept rejects (-want +got):\n%s", diff)
	}
}

// A campaign keeps the first store.MaxKeptRejects rejects of all its
// imports, with their lines, however many there are and however often the
// file is imported again; every one is still counted.
func TestImportKeepsTheFirstRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var in strings.Builder
	in.WriteString("phone,name,code\n")
	for i := range 1500 {
		if i%100 == 0 {
			fmt.Fprintf(&in, "+2557123%05d,Amina,A1\n", i)
		} else {
			fmt.Fprintf(&in, "bad-%d,X,Y\n", i)
		}
	}
	p := h.Producer(producer.Config{BatchSize: 50})
	for run := range 2 {
		res, err := p.Import(bg, textSpec("manybad"), strings.NewReader(in.String()), producer.Options{})
		must(t, err)
		if res.Rejected != 1485 {
			t.Errorf("run %d: %d rejected, want 1485", run+1, res.Rejected)
		}
		kept, err := h.St.CampaignRejects(bg, "manybad", 0)
		must(t, err)
		if len(kept) != store.MaxKeptRejects {
			t.Fatalf("run %d: %d kept, want %d", run+1, len(kept), store.MaxKeptRejects)
		}
		// Line 2 is row 0 (good), line 3 row 1, …: the first kept is line 3.
		if kept[0].Line != 3 || kept[0].Row != "bad-1,X,Y" || kept[98].Line != 101 || kept[99].Line != 103 {
			t.Errorf("run %d: kept %+v … %+v %+v", run+1, kept[0], kept[98], kept[99])
		}
		for i := 1; i < len(kept); i++ {
			if kept[i].Line <= kept[i-1].Line {
				t.Fatalf("run %d: kept out of order at %d: %+v then %+v", run+1, i, kept[i-1], kept[i])
			}
		}
	}
	stats, _, err := h.St.CampaignImportStats(bg, "manybad")
	must(t, err)
	if stats.Rejected != 2970 {
		t.Errorf("import stats count %d rejected, want 2970", stats.Rejected)
	}
}

// Values reach the task payload exactly as written, whatever they hold,
// and a value is never read as a placeholder itself.
func TestPlaceholderValuesArriveVerbatim(t *testing.T) {
	t.Parallel()
	values := []string{
		`She said "hi"`,
		`back\slash and \n that is not a newline`,
		"a real\nnewline, a\r\nCRLF and a\ttab",
		"🎉 Zürich — ñandú 漢字",
		"{{code}} stays as written",
		`</script>&amp; <b>`,
		`\u0041 stays escaped`,
		"bell\x07 and NUL-free control",
		"  leading and trailing spaces  ",
	}
	spec := &producer.Spec{
		ID:      "tricky",
		Account: "a",
		Message: message.Content{Template: &message.Template{
			Name:     "order_update",
			Language: "en",
			Body:     []string{"{{name}}", "<{{name}}|{{code}}>"},
			Buttons:  []message.TemplateButton{{SubType: "url", Index: 0, Param: "{{code}}"}},
		}},
	}
	phone := func(i int) string { return fmt.Sprintf("+2557123457%02d", i) }
	code := func(i int) string { return fmt.Sprintf("c-%d", i) }

	inputs := map[producer.Format]func() string{
		producer.FormatCSV: func() string {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			must(t, w.Write([]string{"phone", "name", "code"}))
			for i, v := range values {
				must(t, w.Write([]string{phone(i), v, code(i)}))
			}
			w.Flush()
			return b.String()
		},
		producer.FormatJSONL: func() string {
			var b bytes.Buffer
			for i, v := range values {
				line, err := json.Marshal(map[string]string{"phone": phone(i), "name": v, "code": code(i)})
				must(t, err)
				b.Write(append(line, '\n'))
			}
			return b.String()
		},
	}
	for format, input := range inputs {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			res, err := h.Producer(producer.Config{}).Import(bg, spec, strings.NewReader(input()), producer.Options{Format: format})
			must(t, err)
			if res.Accepted != int64(len(values)) || res.Rejected != 0 {
				t.Fatalf("result = %+v, want all %d accepted", res, len(values))
			}
			got := h.Pending(t, message.LaneNormal)
			for i, m := range got {
				tp := m.Content.Template
				v := values[i]
				if format == producer.FormatCSV {
					v = strings.ReplaceAll(v, "\r\n", "\n") // encoding/csv reads a quoted CRLF as LF
				}
				want := []string{v, "<" + v + "|" + code(i) + ">"}
				if diff := cmp.Diff(want, tp.Body); diff != "" {
					t.Errorf("row %d body (-want +got):\n%s", i, diff)
				}
				if tp.Buttons[0].Param != code(i) || tp.Name != "order_update" || tp.Language != "en" {
					t.Errorf("row %d template = %+v", i, tp)
				}
			}
		})
	}
}

func TestReimportSkipsEveryRowAndEnqueuesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n+255712345680,Chausiku,C3\nnot-a-phone,X,Y\n"
	p := h.Producer(producer.Config{BatchSize: 2})

	first, err := p.Import(bg, textSpec("again"), strings.NewReader(input), producer.Options{})
	must(t, err)
	before := h.Pending(t, message.LaneNormal)

	second, err := p.Import(bg, textSpec("again"), strings.NewReader(input), producer.Options{})
	must(t, err)
	want := producer.Result{Progress: producer.Progress{Lines: 4, AlreadyPresent: first.Accepted, Rejected: 1}}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second import (-want +got):\n%s", diff)
	}
	if first.Accepted != 3 || !first.CampaignCreated {
		t.Errorf("first import = %+v", first)
	}
	if diff := cmp.Diff(before, h.Pending(t, message.LaneNormal)); diff != "" {
		t.Errorf("tasks changed on re-import (-before +after):\n%s", diff)
	}
	stats, runs, err := h.St.CampaignImportStats(bg, "again")
	must(t, err)
	if diff := cmp.Diff(store.ImportStats{Accepted: 3, Rejected: 2, AlreadyPresent: 3}, stats); diff != "" || runs != 2 {
		t.Errorf("import stats after %d runs (-want +got):\n%s", runs, diff)
	}
}

// A number repeated in the file is a duplicate on every run, not "already
// present" on the second.
func TestReimportStillCountsInFileDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n0712 345 678,Amina,A1\n"
	p := h.Producer(producer.Config{DefaultRegion: "TZ"})
	for run, want := range []producer.Progress{
		{Lines: 3, Accepted: 2, Duplicate: 1},
		{Lines: 3, AlreadyPresent: 2, Duplicate: 1},
	} {
		got, err := p.Import(bg, textSpec("dups"), strings.NewReader(input), producer.Options{})
		must(t, err)
		if diff := cmp.Diff(want, got.Progress); diff != "" {
			t.Errorf("run %d (-want +got):\n%s", run+1, diff)
		}
	}
}

// An unclosed quote would swallow the rest of the file into one field: the
// import imports what came before, then stops and names the lines.
func TestUnclosedQuoteStopsTheImportAndSaysWhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,\"Baraka,B2\n+255712345680,Chiku,C3\n+255712345681,Daudi,D4\n"
	p := h.Producer(producer.Config{})
	res, err := p.Import(bg, textSpec("quote"), strings.NewReader(input), producer.Options{})
	if err == nil || !strings.Contains(err.Error(), "line 3: a quoted field opened here is never closed, so lines 3 to 5") {
		t.Fatalf("err = %v, want it to name the unclosed quote at line 3", err)
	}
	if res.Accepted != 1 || len(h.Pending(t, message.LaneNormal)) != 1 {
		t.Errorf("result %+v; want the row before the quote imported and queued", res.Progress)
	}
}

// A process that died between creating a record and enqueueing its task
// leaves a queued record without a task: the re-import enqueues it again,
// with its original creation time, so its TTL is not extended.
func TestReimportRequeuesAQueuedRecordWhoseTaskIsGone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n+255712345680,Chausiku,C3\n"
	_, err := h.Producer(producer.Config{}).Import(bg, textSpec("crash"), strings.NewReader(input), producer.Options{})
	must(t, err)
	lost := message.CampaignMessageID("crash", "+255712345679")
	must(t, h.Insp.DeleteTask(h.Queue(message.LaneNormal), lost))
	if n := len(h.Pending(t, message.LaneNormal)); n != 2 {
		t.Fatalf("%d tasks after deleting one, want 2", n)
	}

	later := h.Producer(producer.Config{Now: at(t0.Add(time.Hour))})
	res, err := later.Import(bg, textSpec("crash"), strings.NewReader(input), producer.Options{})
	must(t, err)
	want := producer.Result{Progress: producer.Progress{Lines: 3, AlreadyPresent: 3, Requeued: 1}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("re-import (-want +got):\n%s", diff)
	}
	got := h.Pending(t, message.LaneNormal)
	if len(got) != 3 {
		t.Fatalf("%d tasks after re-import, want 3", len(got))
	}
	for _, m := range got {
		if !m.CreatedAt.Equal(t0) || !m.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
			t.Errorf("message %s created %v expires %v; want the first import's %v and %v", m.ID, m.CreatedAt, m.ExpiresAt, t0, t0.Add(24*time.Hour))
		}
	}
}

// When Redis refuses the tasks, the import stops with where it got to;
// running it again with Redis back enqueues everything, once.
func TestEnqueueFailureStopsWithTheLineAndReimportResumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = dead.Close() })
	broken := producer.New(h.St, asynq.NewClientFromRedisClient(dead), producer.Config{Prefix: h.R.Prefix, Now: at(t0), BatchSize: 2, TaskRedis: dead})
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n+255712345680,Chausiku,C3\n"

	res, err := broken.Import(bg, textSpec("flaky"), strings.NewReader(input), producer.Options{})
	if err == nil || !strings.Contains(err.Error(), "import of campaign flaky stopped at line 2") ||
		!strings.Contains(err.Error(), "re-running the same import resumes safely") {
		t.Fatalf("err = %v; want it to name line 2 and say re-running resumes", err)
	}
	if res.Lines != 2 || res.Accepted != 0 {
		t.Errorf("partial result = %+v", res)
	}

	res, err = h.Producer(producer.Config{BatchSize: 2}).Import(bg, textSpec("flaky"), strings.NewReader(input), producer.Options{})
	must(t, err)
	want := producer.Result{Progress: producer.Progress{Lines: 3, Accepted: 1, AlreadyPresent: 2, Requeued: 2}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("resumed import (-want +got):\n%s", diff)
	}
	if n := len(h.Pending(t, message.LaneNormal)); n != 3 {
		t.Errorf("%d tasks, want 3", n)
	}
}

func TestSameCampaignIDWithADifferentSpecIsAnError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	input := "phone,name,code\n+255712345678,Amina,A1\n"
	spec := textSpec("c1")
	spec.Sender = "+255 712 000 001"
	if err := p.CheckSpec(bg, spec); err != nil {
		t.Errorf("CheckSpec of a new campaign: %v", err)
	}
	_, err := p.Import(bg, spec, strings.NewReader(input), producer.Options{})
	must(t, err)

	// The same spec written differently is the same spec.
	same := textSpec("c1")
	same.Sender = "+255712000001"
	same.TTL = producer.Duration(24 * time.Hour)
	same.Priority = "normal"
	if err := p.CheckSpec(bg, same); err != nil {
		t.Errorf("CheckSpec of an equivalent spec: %v", err)
	}
	res, err := p.Import(bg, same, strings.NewReader(input), producer.Options{})
	if err != nil || res.AlreadyPresent != 1 {
		t.Fatalf("equivalent spec: res=%+v err=%v", res, err)
	}

	other := textSpec("c1")
	other.Sender = spec.Sender
	other.Message.Text.Body = "Hello {{name}}"
	var rejects bytes.Buffer
	res, err = p.Import(bg, other, strings.NewReader(input), producer.Options{Rejects: &rejects})
	want := "campaign c1 already exists with a different spec (created 2026-11-21T09:00:00Z); re-import with the same spec to resume, or use a new id"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	var conflict *producer.CampaignConflictError
	if !errors.As(err, &conflict) || conflict.ID != "c1" || !conflict.CreatedAt.Equal(t0) {
		t.Errorf("err %v is not a *CampaignConflictError for c1 created at t0", err)
	}
	if err := p.CheckSpec(bg, other); !errors.As(err, &conflict) || err.Error() != strings.TrimSuffix(want, "; re-import with the same spec to resume, or use a new id") {
		t.Errorf("CheckSpec of another spec: %v", err)
	}
	if res != (producer.Result{}) || rejects.Len() != 0 {
		t.Errorf("result %+v, rejects %q: want nothing read", res, rejects.String())
	}
}

// Problems with the header stop the import before any row is read, and
// before the campaign is created.
func TestHeaderProblemsFailBeforeAnyRow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, input, want string
	}{
		{"missing placeholder column", "phone,name\n+255712345678,Amina\n",
			"the message uses {{code}} but the header has no such column (found: phone, name)"},
		{"no phone column", "MSISDN,name,code\n+255712345678,Amina,A1\n",
			"header has no phone column (found: msisdn, name, code)"},
		{"duplicate column", "phone,name,Name,code\n", `header names column "name" twice (columns 2 and 3)`},
		{"empty input", "", "input is empty: want a header row naming the columns, one of them phone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			var rejects bytes.Buffer
			res, err := h.Producer(producer.Config{}).Import(bg, textSpec("hdr"), strings.NewReader(c.input), producer.Options{Rejects: &rejects})
			if err == nil || err.Error() != c.want {
				t.Fatalf("err = %v\nwant %s", err, c.want)
			}
			if res != (producer.Result{}) || rejects.Len() != 0 {
				t.Errorf("result %+v, rejects %q: want nothing read", res, rejects.String())
			}
			if _, err := h.St.Campaign(bg, "hdr"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("campaign created anyway: err = %v", err)
			}
		})
	}
}

func TestSendAtSchedulesTasksAndTTLCountsFromIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	sendAt := time.Date(2027, 1, 2, 7, 30, 0, 0, time.UTC) // within a year of the harness clock
	spec := textSpec("later")
	spec.SendAt = sendAt.In(time.FixedZone("EAT", 3*3600))
	spec.TTL = producer.Duration(2 * time.Hour)
	res, err := h.Producer(producer.Config{}).Import(bg, spec, strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n"), producer.Options{})
	must(t, err)
	if res.Accepted != 2 {
		t.Fatalf("result = %+v", res)
	}
	if n := len(h.Pending(t, message.LaneNormal)); n != 0 {
		t.Errorf("%d pending tasks, want none before send_at", n)
	}
	infos := h.Scheduled(t, message.LaneNormal)
	if len(infos) != 2 {
		t.Fatalf("%d scheduled tasks, want 2", len(infos))
	}
	for _, m := range h.DecodeAll(t, infos) {
		if !m.ExpiresAt.Equal(sendAt.Add(2*time.Hour)) || !m.CreatedAt.Equal(t0) {
			t.Errorf("message %s created %v expires %v; want %v and send_at + ttl", m.ID, m.CreatedAt, m.ExpiresAt, t0)
		}
	}
	for _, ti := range infos {
		if !ti.NextProcessAt.Equal(sendAt) {
			t.Errorf("task %s runs at %v, want %v", ti.ID, ti.NextProcessAt, sendAt)
		}
	}
}

// A message already expired at import is imported all the same: the
// worker records it expired, so the recipient has an outcome.
func TestAMessageExpiredAtImportIsStillImported(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	spec := textSpec("past")
	spec.SendAt = t0.Add(-48 * time.Hour)
	spec.TTL = producer.Duration(time.Hour)
	res, err := h.Producer(producer.Config{}).Import(bg, spec, strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"), producer.Options{})
	must(t, err)
	got := h.Pending(t, message.LaneNormal)
	if res.Accepted != 1 || len(got) != 1 || !got[0].Expired(t0) {
		t.Fatalf("result %+v, tasks %+v: want one task, already expired", res, got)
	}
}

func TestPriorityHighGoesToTheHighQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	spec := textSpec("urgent")
	spec.Priority = "high"
	_, err := h.Producer(producer.Config{}).Import(bg, spec, strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"), producer.Options{})
	must(t, err)
	if n, m := len(h.Pending(t, message.LaneHigh)), len(h.Pending(t, message.LaneNormal)); n != 1 || m != 0 {
		t.Errorf("high queue has %d tasks, normal %d; want 1 and 0", n, m)
	}
}

func TestImportJSONL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lines := []string{
		`{"phone":"+255712345678","name":"Amina","code":"A1"}`, // 1: accepted
		`{"phone":255712345679,"name":"Baraka","code":42}`,     // 2: numbers as text: accepted
		`{"phone":"+255712345680","name":"Chausiku"`,           // 3: bad JSON
		`   `,                                   // 4: blank, skipped
		`{"phone":"+255712345681","code":"D4"}`, // 5: placeholder field missing
		`{"Phone":"+255712345678","NAME":"Amina","code":"A1"}`,         // 6: line 1 again (keys case-insensitive)
		`{"phone":"+255712345682","name":{"first":"Eli"},"code":"E5"}`, // 7: object value
		`["+255712345683"]`, // 8: not an object
		`{"phone":"+255712345684","name":"Eli","code":"F6"} {"x":1}`,               // 9: two values
		`{"name":"Nobody","code":"G7"}`,                                            // 10: no phone
		`{"phone":"+255712345685","name":"","code":"H8"}`,                          // 11: empty value
		`{"phone":"+255712345686","name":"Faraji","code":"J10","extra":[1]}`,       // 12: accepted, extra fields ignored
		`{"phone":"+255712345687","PHONE":"+255712345688","name":"X","code":"K1"}`, // 13: keys differing in case
	}
	input := "\ufeff" + strings.Join(lines, "\r\n") // BOM, CRLF, no final newline
	var rejects bytes.Buffer
	res, err := h.Producer(producer.Config{DefaultRegion: "TZ", BatchSize: 2}).Import(bg, textSpec("jl"), strings.NewReader(input),
		producer.Options{Format: producer.FormatJSONL, Rejects: &rejects})
	must(t, err)
	want := producer.Result{CampaignCreated: true, Progress: producer.Progress{Lines: 12, Accepted: 3, Duplicate: 1, Rejected: 8}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	wantRejects := "line,reason,raw\n" +
		"3,invalid JSON: unexpected EOF," + q(lines[2]) + "\n" +
		`5,"field ""name"" is missing",` + q(lines[4]) + "\n" +
		`7,"field ""name"" is an object or array, want a string or number",` + q(lines[6]) + "\n" +
		"8,not a JSON object," + q(lines[7]) + "\n" +
		"9,invalid JSON: more than one value on the line," + q(lines[8]) + "\n" +
		`10,"field ""phone"" is missing",` + q(lines[9]) + "\n" +
		`11,"field ""name"" is empty (the message uses {{name}})",` + q(lines[10]) + "\n" +
		`13,"keys ""phone"" and ""PHONE"" differ only in case: give one",` + q(lines[12]) + "\n"
	if diff := cmp.Diff(wantRejects, rejects.String()); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
	kept, err := h.St.CampaignRejects(bg, "jl", 0)
	must(t, err)
	if len(kept) != 8 || kept[0].Line != 3 || kept[0].Row != lines[2] || kept[7].Line != 13 || kept[7].Row != lines[12] {
		t.Errorf("kept rejects %+v", kept)
	}
	var bodies []string
	for _, m := range h.Pending(t, message.LaneNormal) {
		bodies = append(bodies, m.To+" "+m.Content.Text.Body)
	}
	wantBodies := []string{
		"+255712345678 Hi Amina, your code is A1",
		"+255712345679 Hi Baraka, your code is 42",
		"+255712345686 Hi Faraji, your code is J10",
	}
	if diff := cmp.Diff(wantBodies, bodies); diff != "" {
		t.Errorf("queued messages (-want +got):\n%s", diff)
	}
}

func TestCancelStopsBetweenBatches(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n+255712345680,Chausiku,C3\n"
	res, err := h.Producer(producer.Config{BatchSize: 1}).Import(ctx, textSpec("stop"), strings.NewReader(input), producer.Options{
		Progress: func(producer.Progress) { cancel() },
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	want := producer.Result{CampaignCreated: true, Progress: producer.Progress{Lines: 1, Accepted: 1}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("partial result (-want +got):\n%s", diff)
	}
	if n := len(h.Pending(t, message.LaneNormal)); n != 1 {
		t.Errorf("%d tasks, want 1", n)
	}
	stats, _, err := h.St.CampaignImportStats(bg, "stop")
	must(t, err)
	if stats.Accepted != 1 {
		t.Errorf("import stats = %+v, want the partial run counted", stats)
	}
}

func TestImportRejectsAnInvalidSpecOrFormat(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	bad := textSpec("")
	if _, err := p.Import(bg, bad, strings.NewReader("phone\n"), producer.Options{}); err == nil || !strings.Contains(err.Error(), "id is required") {
		t.Errorf("invalid spec: err = %v", err)
	}
	if _, err := p.Import(bg, textSpec("f"), strings.NewReader("phone\n"), producer.Options{Format: "xlsx"}); err == nil ||
		err.Error() != `unknown input format "xlsx": want csv or jsonl` {
		t.Errorf("bad format: err = %v", err)
	}
	p = h.Producer(producer.Config{DefaultRegion: "XX"})
	if _, err := p.Import(bg, textSpec("r"), strings.NewReader("phone\n"), producer.Options{}); err == nil || !strings.Contains(err.Error(), `"XX" is not a known ISO 3166 region`) {
		t.Errorf("bad region: err = %v", err)
	}
}

// A national number without any default region is rejected with a reason
// that says so; the spec's default_region overrides the config's.
func TestDefaultRegionComesFromTheSpecOrTheConfig(t *testing.T) {
	t.Parallel()
	input := "phone,name,code\n0712345678,Amina,A1\n"
	for _, c := range []struct {
		name, cfgRegion, specRegion string
		want                        producer.Progress
		wantTo                      string
	}{
		{"none", "", "", producer.Progress{Lines: 1, Rejected: 1}, ""},
		{"config", "TZ", "", producer.Progress{Lines: 1, Accepted: 1}, "+255712345678"},
		{"spec overrides config", "TZ", "KE", producer.Progress{Lines: 1, Accepted: 1}, "+254712345678"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			spec := textSpec("region")
			spec.DefaultRegion = c.specRegion
			var rejects bytes.Buffer
			res, err := h.Producer(producer.Config{DefaultRegion: c.cfgRegion}).Import(bg, spec, strings.NewReader(input), producer.Options{Rejects: &rejects})
			must(t, err)
			if diff := cmp.Diff(c.want, res.Progress); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
			if c.wantTo == "" {
				want := "line,reason,phone,name,code\n" +
					`2,"phone ""0712345678"": number has no country code and no default region is set",0712345678,Amina,A1` + "\n"
				if diff := cmp.Diff(want, rejects.String()); diff != "" {
					t.Errorf("rejects (-want +got):\n%s", diff)
				}
				return
			}
			if got := h.Pending(t, message.LaneNormal); len(got) != 1 || got[0].To != c.wantTo {
				t.Errorf("tasks = %+v, want one to %s", got, c.wantTo)
			}
		})
	}
}

// A clean import writes nothing to the rejects writer, so a CLI can create
// the rejects file only when there is something to put in it.
func TestCleanImportWritesNoRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var rej strings.Builder
	_, err := h.Producer(producer.Config{}).Import(bg, textSpec("clean"), strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"), producer.Options{Rejects: &rej})
	must(t, err)
	if rej.Len() != 0 {
		t.Errorf("rejects got %q from a clean import", rej.String())
	}
}

// A fallback template's placeholders are filled from the same row, and a
// column only the fallback uses is required like any other.
func TestFallbackTemplateIsRenderedPerRow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	spec, err := producer.ParseSpec([]byte(`
id: fb
account: a
message: {text: {body: "Hi {{name}}, your order shipped"}}
fallback_template: {name: order_shipped, language: en, body: ["{{name}}", "{{order}}"]}
`))
	must(t, err)
	in := "phone,name,order\n+255712000001,Amina,A-1\n+255712000002,Juma,\n"
	res, err := h.Producer(producer.Config{}).Import(bg, spec, strings.NewReader(in), producer.Options{Format: producer.FormatCSV})
	must(t, err)
	if res.Accepted != 1 || res.Rejected != 1 {
		t.Fatalf("result = %+v, want 1 accepted and the row without an order rejected", res)
	}
	got := h.Pending(t, message.LaneNormal)
	if len(got) != 1 {
		t.Fatalf("%d tasks, want 1", len(got))
	}
	m := got[0]
	if m.Content.Text == nil || m.Content.Text.Body != "Hi Amina, your order shipped" {
		t.Errorf("content = %+v", m.Content)
	}
	want := &message.Template{Name: "order_shipped", Language: "en", Body: []string{"Amina", "A-1"}}
	if diff := cmp.Diff(want, m.Fallback); diff != "" {
		t.Errorf("fallback (-want +got):\n%s", diff)
	}
}
