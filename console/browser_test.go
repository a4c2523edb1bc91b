package console_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/loadtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	_ "github.com/wabulk/wabulk/providers/tujenge" // the kind the browser test sends through
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// ScreenshotsVar names the folder the browser tests save their
// screenshots in; unset, a folder under the system's temporary directory.
const ScreenshotsVar = "WABULK_SCREENSHOTS"

// chromium finds a Chromium or Chrome binary.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium, chromium-browser or google-chrome on PATH: the browser tests need one (Debian: apt-get install chromium)")
	return ""
}

// stack is serve's HTTP side (the API and the console) over a worker
// sending to the simulator, all in this process on one Redis.
type stack struct {
	url   string
	p     *producer.Producer
	st    *store.Store
	sim   *simulator.Simulator
	close func()
}

const rate = 10 // messages/s: slow enough to see a pause

func newStack(t *testing.T) *stack {
	t.Helper()
	r := storetest.New(t)
	sc, _ := simulator.ScenarioFor("tujenge")
	cfg := &config.Config{
		Redis:         config.RedisConfig{URL: "redis://" + r.Addr, Prefix: r.Prefix},
		DefaultRegion: "TZ",
		Log:           config.LogConfig{Level: "error", Format: "console"},
		Providers: []config.ProviderConfig{{Name: account, Kind: "tujenge", Rate: rate, Burst: 2,
			Timeout: config.Duration(5 * time.Second)}},
		Worker: config.WorkerConfig{Concurrency: 10, DelayedTaskCheckInterval: config.Duration(200 * time.Millisecond),
			CampaignPausedRecheck: config.Duration(300 * time.Millisecond),
			RetryBase:             config.Duration(200 * time.Millisecond), RetryMax: config.Duration(time.Second), MaxAttempts: 3},
		Serve: config.ServeConfig{APITokens: []config.APIToken{{Token: fullToken}, {Token: readOnlyToken, Role: config.RoleReadOnly}}},
	}
	if r.Addr == "" {
		t.Skip("the browser test runs on a single Redis node or miniredis")
	}
	ip, closeIP, err := loadtest.StartInProcess(r.Client, simulator.Config{Latency: 2 * time.Millisecond,
		Faults: map[int]float64{sc.Permanent: 0.05}, Seed: 3}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	stopWorker := ip.StartWorker(context.Background())
	conn := &app.Conn{RDB: r.Client}
	api, err := app.NewAPI(cfg, conn, ip.Client, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ui, err := app.NewConsole(cfg, conn, ip.Client, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/ui/", ui)
	srv := httptest.NewServer(mux)
	s := &stack{url: srv.URL, p: ip.Producer, st: ip.Store, sim: ip.Sim}
	s.close = func() { srv.Close(); stopWorker(); closeIP() }
	t.Cleanup(s.close)
	return s
}

// recipientsCSV is n good rows, one duplicate and three bad ones.
func recipientsCSV(t *testing.T, n int) string {
	var b strings.Builder
	b.WriteString("phone,name\n")
	for i := range n {
		fmt.Fprintf(&b, "+2557120%05d,Person %d\n", i, i)
		if i == 10 {
			b.WriteString("not-a-number,<script>alert(1)</script>\n")
		}
		if i == 20 {
			b.WriteString("+255712000003,Duplicate\n")
			b.WriteString(",No phone\n")
		}
		if i == 30 {
			b.WriteString("+1,Too short\n")
		}
	}
	path := filepath.Join(t.TempDir(), "recipients.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv(ScreenshotsVar)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "wabulk-console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", dir)
	return dir
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	s := newStack(t)
	shots := screenshotDir(t)
	csvPath := recipientsCSV(t, 200)
	downloads := t.TempDir()

	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx); err != nil { // starts the browser, with no deadline
		t.Fatalf("start %s: %v", exe, err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 150*time.Second) // a guard against a hang, not a timing assertion
	defer cancelT()

	start := time.Now()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		t.Logf("%5.1fs %s", time.Since(start).Seconds(), what)
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// view saves what the window shows (the README's pictures).
	view := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	eval := func(what, expr string, opts ...chromedp.EvaluateOption) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr, opts...))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return n
	}
	// waitText polls the page (never reloading it) until sel's text
	// passes ok.
	waitText := func(sel, what string, ok func(string) bool) string {
		t.Helper()
		var last string
		for ctx.Err() == nil {
			if last = text(sel); ok(last) {
				return last
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("%s: %s is %q", what, sel, last)
		return ""
	}
	outcomes := func(s string) int {
		n, _ := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		return n
	}
	noOverflow := func(page string) {
		t.Helper()
		if eval(page+" overflow", `Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth`) > 0 {
			t.Errorf("%s: the page is wider than a 375-px screen", page)
		}
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// Sign in.
	run("sign in",
		chromedp.Navigate(s.url+"/ui/"),
		chromedp.WaitVisible(css("#token")),
		chromedp.SetValue(css("#token"), fullToken),
		chromedp.Submit(css("#token")),
		chromedp.WaitVisible(css("#campaigns-live")))

	// New campaign: preview, then import.
	run("preview",
		chromedp.Navigate(s.url+"/ui/new"),
		chromedp.WaitVisible(css("#recipients")),
		chromedp.SetValue(css("#id"), "browser-1"),
		chromedp.SetValue(css("#kind"), "template"),
		chromedp.SetValue(css("#template_name"), "spring_sale"),
		chromedp.SetValue(css("#template_language"), "en"),
		chromedp.SetValue(css("#template_params"), "{{name}}\n20%"),
		chromedp.SetUploadFiles(css("#recipients"), []string{csvPath}),
		chromedp.Click(css("#btn-preview")),
		chromedp.WaitVisible(css("#preview")))
	if got := text("#preview-rows tbody tr:first-child"); !strings.Contains(got, "spring_sale (en): Person 0 · 20%") || !strings.Contains(got, "+255712000000") {
		t.Errorf("preview's first row %q: want the text with its placeholder filled", got)
	}
	rejects := text("#preview-rejects tbody")
	for _, want := range []string{"13", "<script>alert(1)</script>", "25"} {
		if !strings.Contains(rejects, want) {
			t.Errorf("preview's rejects %q: want %q", rejects, want)
		}
	}
	if got := text(`[data-pv="messages"]`); got != "200" {
		t.Errorf("preview: %s messages, want 200", got)
	}
	if got := text(`[data-pv="duplicate"]`); got != "1" {
		t.Errorf("preview: %s duplicates, want 1", got)
	}
	if got := text("#estimate"); !strings.Contains(got, "it fits its TTL") {
		t.Errorf("preview's estimate %q", got)
	}
	shot("new-campaign-preview")
	// The preview came through the page's script: the file is still
	// chosen, and Import sends it.
	run("the file is kept", chromedp.WaitVisible(css("#preview .kept")))
	if n := eval("files chosen", `document.getElementById('recipients').files.length`); n != 1 {
		t.Fatalf("after the preview %d recipients files are chosen", n)
	}
	run("import",
		chromedp.Click(css("#btn-import")),
		chromedp.WaitVisible(css("#campaign-live")))
	if got := text(".flash"); !strings.Contains(got, "Imported campaign browser-1") || !strings.Contains(got, "200 accepted") {
		t.Errorf("import flash %q", got)
	}

	// Watch it move without reloading, pause it and resume it.
	t.Logf("outcomes before the pause: %s", waitText(`#campaign-live [data-f="outcomes"]`, "some outcomes", func(s string) bool { return outcomes(s) >= 30 }))
	run("pause",
		chromedp.Click(css(`form[action$="/pause"] button`)),
		chromedp.WaitVisible(css("#reason")),
		chromedp.SetValue(css("#reason"), "checking the copy"),
		chromedp.Click(css("button.primary")),
		chromedp.WaitVisible(css("#campaign-live")))
	t.Logf("outcomes after the pause: %s", text(`#campaign-live [data-f="outcomes"]`))
	if got := text(`h1 [data-f="phase"]`); got != "paused" {
		t.Fatalf("after pause the badge says %q", got)
	}
	waitText("#why", "why it waits", func(s string) bool { return strings.Contains(s, "paused") && strings.Contains(s, "checking the copy") })
	paused := outcomes(text(`#campaign-live [data-f="outcomes"]`))
	if paused >= 200 {
		t.Fatalf("the campaign finished before the pause (%d outcomes): slow the rate", paused)
	}
	shot("campaign-paused")
	run("resume",
		chromedp.Click(css(`form[action$="/resume"] button`)),
		chromedp.WaitVisible(css("button.primary")),
		chromedp.Click(css("button.primary")),
		chromedp.WaitVisible(css("#campaign-live")))
	waitText(`#campaign-live [data-f="pct"]`, "drained", func(s string) bool { return s == "100 %" })
	waitText(`h1 [data-f="phase"]`, "done", func(s string) bool { return s == "done" })
	if got := text("#rejects"); !strings.Contains(got, "13") || !strings.Contains(got, "<script>alert(1)</script>") || !strings.Contains(got, "36") {
		t.Errorf("the campaign's rejected rows: %q", got)
	}
	if n := eval("chart", `fetch(document.getElementById('chart').src).then(r => r.text()).then(t => (t.match(/<polyline/g) || []).length)`, chromedp.EvalAwaitPromise); n != 2 {
		t.Errorf("the chart has %d lines, want sent and failures", n)
	}
	run("settle", chromedp.Sleep(2500*time.Millisecond)) // one more refresh of the chart, for the picture
	shot("campaign")
	view("readme-campaign")

	// The report: downloaded by the browser, byte for byte what
	// `wabulk campaign report` writes.
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	run("download", chromedp.Click(css(`a[href$="report?format=csv"]`)))
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("the report was not downloaded: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
	}
	got, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := producer.WriteReportOpts(context.Background(), s.st, "browser-1", producer.FormatCSV, &want, producer.ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("downloaded report (%d bytes) differs from campaign report's (%d bytes)", len(got), want.Len())
	}
	if lines := bytes.Count(got, []byte("\n")); lines != 201 {
		t.Errorf("report: %d lines, want a header and 200 rows", lines)
	}

	// The list, with two more campaigns (one paused), then the other
	// pages, at a phone's width.
	more(t, s)
	run("list", chromedp.Navigate(s.url+"/ui/"), chromedp.WaitVisible(css(`tr[data-id="browser-1"]`)))
	waitText(`tr[data-id="welcome-series"] [data-f="sent"]`, "another campaign sending", func(s string) bool { return outcomes(strings.TrimSuffix(s, " sent")) > 0 })
	shot("campaigns")
	view("readme-campaigns")
	// With the keyboard alone: the first Tab shows the skip link, Enter
	// moves to the content, the next Tabs reach the filters.
	run("keyboard", chromedp.KeyEvent(kb.Tab))
	if eval("skip link", `(() => { const a = document.activeElement; return a.classList.contains('skip') && a.getBoundingClientRect().left >= 0 ? 1 : 0 })()`) != 1 {
		t.Error("the first Tab does not show the skip link")
	}
	run("skip", chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab))
	if eval("after the skip", `document.activeElement.id === 'f-state' ? 1 : 0`) != 1 {
		t.Error("after the skip link, Tab does not reach the state filter")
	}
	run("phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, page := range []string{"/ui/", "/ui/campaigns/browser-1", "/ui/new", "/ui/providers", "/ui/schedules"} {
		run(page, chromedp.Navigate(s.url+page), chromedp.WaitVisible(css("main")))
		noOverflow(page)
		name := strings.Trim(strings.ReplaceAll(strings.TrimPrefix(page, "/ui"), "/", "-"), "-")
		if name == "" {
			name = "campaigns"
		}
		shot("phone-" + name)
	}
	if got := text("#providers-live, main"); got == "" {
		t.Error("empty page")
	}

	// Opt-outs: add, search, remove.
	run("opt-out add",
		chromedp.Navigate(s.url+"/ui/optouts"),
		chromedp.WaitVisible(css("#a-number")),
		chromedp.SetValue(css("#a-number"), "+255 712 999 999"),
		chromedp.SetValue(css("#a-reason"), "asked by phone"),
		chromedp.Submit(css("#a-number")))
	waitText(".flash", "the add's answer", func(s string) bool { return strings.Contains(s, "opted out of") })
	if got := text("#optouts"); !strings.Contains(got, "+255712999999") || !strings.Contains(got, "asked by phone") {
		t.Errorf("opt-outs after adding: %q", got)
	}
	run("opt-out bad number",
		chromedp.SetValue(css("#a-number"), "12ab"),
		chromedp.Submit(css("#a-number")))
	waitText(".flash", "the bad number's answer", func(s string) bool { return strings.Contains(s, "Nothing was changed") })
	run("opt-out search",
		chromedp.SetValue(css("#o-q"), "999999"),
		chromedp.Submit(css("#o-q")))
	waitText("#optout-total", "the search's answer", func(s string) bool { return strings.Contains(s, "contain 999999") })
	noOverflow("/ui/optouts")
	shot("phone-optouts")
	run("opt-out remove",
		chromedp.Click(css(`button[aria-label="Remove +255712999999"]`)))
	waitText(".flash", "the remove's answer", func(s string) bool { return strings.Contains(s, "taken off") })
	if got := text("#optouts"); strings.Contains(got, "+255712999999") {
		t.Errorf("opt-outs after removing: %q", got)
	}
	run("desktop", chromedp.ResetViewport())

	// A read-only token: no enabled button, and a forged POST is refused.
	run("sign out", chromedp.Click(css(`form[action="/ui/signout"] button`)), chromedp.WaitVisible(css("#token")))
	run("read-only sign in",
		chromedp.SetValue(css("#token"), readOnlyToken),
		chromedp.Submit(css("#token")),
		chromedp.WaitVisible(css("#campaigns-live")),
		chromedp.Navigate(s.url+"/ui/campaigns/browser-1"),
		chromedp.WaitVisible(css("#campaign-live")))
	if enabled := eval("buttons", `document.querySelectorAll('.actions form[action*="/campaigns/"] button:not([disabled])').length`); enabled != 0 {
		t.Errorf("read-only: %d action buttons enabled", enabled)
	}
	status := eval("forged POST", `fetch('/ui/campaigns/browser-1/cancel', {method: 'POST', body: new URLSearchParams({
		csrf: document.querySelector('input[name=csrf]').value, confirm: 'yes'})}).then(r => r.status)`, chromedp.EvalAwaitPromise)
	if status != http.StatusForbidden {
		t.Errorf("read-only forged cancel: %d, want 403", status)
	}
	if st, _ := s.st.CampaignState(context.Background(), "browser-1"); st.State != store.CampaignActive {
		t.Errorf("after the refused cancel the campaign is %s", st.State)
	}
	shot("read-only")
}

// more imports two more campaigns beside the test's, one of them paused.
func more(t *testing.T, s *stack) {
	t.Helper()
	for _, id := range []string{"autumn-promo", "welcome-series"} {
		var b strings.Builder
		b.WriteString("phone,name\n")
		for i := range 120 {
			fmt.Fprintf(&b, "+2557130%05d,Person %d\n", i, i)
		}
		spec := &producer.Spec{ID: id, Account: account, Message: message.Content{Template: &message.Template{Name: id, Language: "en", Body: []string{"{{name}}"}}}}
		if _, err := s.p.Import(context.Background(), spec, strings.NewReader(b.String()), producer.Options{}); err != nil {
			t.Fatal(err)
		}
		if id == "autumn-promo" {
			if _, err := s.p.PauseCampaign(context.Background(), id, "waiting for the new coupon code"); err != nil {
				t.Fatal(err)
			}
		}
	}
}
