package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/report"
)

// reportRulefile has two parallel branches at -j2, a failing job (its log
// and its stderr make the log tail), a job that is never started, and a
// wildcard value that is markup.
const reportRulefile = `
rule "all" {
  input = concat(expand("out/{s}.txt", { s = ["a", "b", "<script>alert(1)</script>"] }), ["bad/x.txt", "done.txt"])
}

rule "make" {
  output = "out/{s}.txt"
  log    = "logs/make/{s}.log"
  shell  = "sleep 0.4; echo ${wildcards.s} > ${output}; echo made > ${log}"
}

rule "broken" {
  output = "bad/{name}.txt"
  log    = "logs/broken_{name}.log"
  shell  = "sleep 0.2; echo 'log line before the end' > ${log}; echo 'something broke in ${wildcards.name}' >&2; exit 3"
}

rule "finish" {
  input  = "out/a.txt"
  output = "done.txt"
  log    = "logs/finish.log"
  shell  = "sleep 0.1; cp ${input} ${output} 2> ${log}"
}
`

// loadRun reads a run back from dir's history, as the report saw it.
func loadRun(t *testing.T, dir, id string) *meta.Run {
	t.Helper()
	store, err := meta.Open(filepath.Join(dir, ".flowmake"), meta.OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := store.LoadRun(id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportCommand(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": reportRulefile})

	// Before any run: a clear message naming the directory, exit 1.
	r := flowmake(t, dir, "report")
	want := "no run in the history of " + filepath.Join(dir, ".flowmake") + ": run the workflow first"
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("report without history: exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
	if r := flowmake(t, dir, "report", "--list"); r.code != 1 || !strings.Contains(r.stderr, "run the workflow first") {
		t.Errorf("report --list without history: exit %d, %q", r.code, r.stderr)
	}
	// A dry run records nothing.
	mustRun(t, dir, "-n")
	if r := flowmake(t, dir, "report"); r.code != 1 {
		t.Errorf("a dry run left a history: exit %d", r.code)
	}

	if r := flowmake(t, dir, "-j2", "-k"); r.code != 1 {
		t.Fatalf("the run: exit %d, want 1\n%s", r.code, r.stderr)
	}
	run := loadRun(t, dir, "")
	r = mustRun(t, dir, "report", "--list")
	if !strings.Contains(r.stdout, run.ID) || !strings.HasPrefix(r.stdout, "ID ") {
		t.Errorf("--list does not list run %s:\n%s", run.ID, r.stdout)
	}

	r = flowmake(t, dir, "report", "--run", "nope")
	if r.code != 1 || !strings.Contains(r.stderr, `"nope"`) || !strings.Contains(r.stderr, run.ID) {
		t.Errorf("--run nope: exit %d, stderr %q; want 1 naming the known id %s", r.code, r.stderr, run.ID)
	}

	// -o - writes the page to stdout and no file; the default is report.html.
	r = mustRun(t, dir, "report", "-o", "-", "--run", run.ID[:10])
	if !strings.HasPrefix(r.stdout, "<!DOCTYPE html>") || !strings.Contains(r.stdout, run.ID) {
		t.Errorf("-o - did not write the report to stdout:\n%.200s", r.stdout)
	}
	if exists(filepath.Join(dir, "report.html")) {
		t.Error("-o - wrote report.html")
	}
	mustRun(t, dir, "report")
	if !exists(filepath.Join(dir, "report.html")) {
		t.Error("report wrote no report.html")
	}

	// -C from elsewhere; -o is relative to the current directory.
	other := t.TempDir()
	mustRun(t, other, "report", "-C", dir, "-s", filepath.Join(dir, "Rulefile"), "-o", "x.html")
	if !strings.Contains(readFile(t, filepath.Join(other, "x.html")), run.ID) {
		t.Error("report -C DIR did not report DIR's run")
	}
	if r := flowmake(t, dir, "report", "extra"); r.code != 2 {
		t.Errorf("report with an argument: exit %d, want 2", r.code)
	}
}

// chromium finds Debian's chromium; without it the test is skipped, unless
// CI is set: CI installs it (scripts/setup.sh), so there its absence fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"} {
		if name == "" {
			continue
		}
		if p, err := osexec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; CI must have it (scripts/setup.sh)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// pageState is what the test reads from the loaded report.
type pageState struct {
	Counts map[string]struct {
		Shown string `json:"shown"`
		Data  string `json:"data"`
	} `json:"counts"`
	Bars []struct {
		Job    int     `json:"job"`
		Status string  `json:"status"`
		Tip    string  `json:"tip"`
		Width  float64 `json:"width"`
	} `json:"bars"`
	Nodes   []string `json:"nodes"`
	Failed  []string `json:"failed"`
	IORows  []string `json:"io"`
	Scripts int      `json:"scripts"`
	Errors  []string `json:"errors"`
}

const readPage = `(() => {
  const qa = s => Array.from(document.querySelectorAll(s));
  const counts = {};
  for (const k of ["total", "done", "failed", "skipped"]) {
    const e = document.getElementById("count-" + k);
    counts[k] = e ? {shown: e.textContent.trim(), data: e.dataset.count} : {shown: "", data: ""};
  }
  document.getElementById("io").open = true;
  return {
    counts,
    bars: qa("#timeline svg .bar").map(b => ({job: +b.dataset.job, status: b.dataset.status || "", tip: b.dataset.tip || "", width: b.getBoundingClientRect().width})),
    nodes: qa("#graph svg g.node").map(g => Array.from(g.querySelectorAll("text")).map(t => t.textContent).join("\n")),
    failed: qa("#failed .failedjob").map(f => f.innerText),
    io: qa("#io tbody tr").map(r => r.innerText),
    scripts: qa("script").length,
    errors: window.__errors || [],
  };
})()`

// browse loads file in headless chromium and returns what the page shows,
// a full-page PNG, and every problem the browser reported: script errors
// (uncaught exceptions, console errors, window.onerror), error entries of
// its log, dialogs (an alert means markup from the run ran), and any
// request for something other than the file itself.
func browse(t *testing.T, file string, width int) (pageState, []byte, []string) {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, 700))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	url := "file://" + file
	var mu sync.Mutex
	var problems []string
	note := func(s string) {
		mu.Lock()
		problems = append(problems, s)
		mu.Unlock()
	}
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			note("exception: " + ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				note("console error")
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				note("log error: " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		case *page.EventJavascriptDialogOpening:
			note("dialog: " + ev.Message)
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; u != url && u != "about:blank" {
				note("request: " + u)
			}
		}
	}))
	defer cancelTab()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		// An alert would block the page: dismiss it (the listener noted it).
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__errors = []; window.addEventListener("error", e => window.__errors.push(String(e.message)));`,
	})
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("chromium: load %s: %v", file, err)
	}
	// The screenshot shows the page as it opens, before readPage opens
	// the file list.
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readPage))
	if err != nil {
		t.Fatalf("chromium: read the page: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range st.Errors {
		problems = append(problems, "window.onerror: "+e)
	}
	return st, shot, problems
}

func TestReportInChromium(t *testing.T) {
	chromium(t)
	dir := workspace(t, map[string]string{"Rulefile": reportRulefile})
	if r := flowmake(t, dir, "-j2", "-k"); r.code != 1 {
		t.Fatalf("the run: exit %d, want 1\n%s", r.code, r.stderr)
	}
	mustRun(t, dir, "report", "-o", "r.html")
	run := loadRun(t, dir, "")
	st, shot, problems := browse(t, filepath.Join(dir, "r.html"), 1280)
	for _, p := range problems {
		t.Errorf("the browser reported: %s", p)
	}

	for k, n := range map[string]int{"total": run.Total, "done": run.Done, "failed": run.Failed, "skipped": run.Skipped} {
		if c := st.Counts[k]; c.Shown != strconv.Itoa(n) || c.Data != c.Shown {
			t.Errorf("count %s shows %q (data %q), the run has %d", k, c.Shown, c.Data, n)
		}
	}
	if run.Total != 6 || run.Failed != 1 || run.Skipped != 1 {
		t.Errorf("the run has total %d, failed %d, skipped %d; the workflow makes 6, 1, 1", run.Total, run.Failed, run.Skipped)
	}

	// Exactly one bar per started job, the failed one marked.
	startedJobs := map[int]string{}
	for i, j := range run.Jobs {
		if !j.Start.IsZero() {
			startedJobs[i] = j.Status
		}
	}
	if len(st.Bars) != len(startedJobs) || len(startedJobs) != 5 {
		t.Errorf("%d timeline bars, %d started jobs (want 5)", len(st.Bars), len(startedJobs))
	}
	seen := map[int]bool{}
	for _, b := range st.Bars {
		status, ok := startedJobs[b.Job]
		switch {
		case !ok || seen[b.Job]:
			t.Errorf("bar for job %d: not a started job, or a second bar", b.Job)
		case b.Status != status:
			t.Errorf("bar for job %d says %s, the job %s", b.Job, b.Status, status)
		case b.Width <= 0:
			t.Errorf("bar for job %d is not drawn", b.Job)
		case !strings.Contains(b.Tip, run.Jobs[b.Job].Rule):
			t.Errorf("bar for job %d: tooltip %q lacks the rule", b.Job, b.Tip)
		}
		seen[b.Job] = true
	}

	// The graph has a node per rule.
	if len(st.Nodes) != len(run.Rules) || len(run.Rules) != 4 {
		t.Errorf("graph nodes %q, rules %q", st.Nodes, run.Rules)
	}
	for _, rule := range run.Rules {
		found := false
		for _, n := range st.Nodes {
			found = found || strings.HasPrefix(n, rule)
		}
		if !found {
			t.Errorf("no graph node for rule %s in %q", rule, st.Nodes)
		}
	}

	// The failed job with its log and its captured stderr.
	if len(st.Failed) != 1 {
		t.Fatalf("failed jobs shown: %q", st.Failed)
	}
	for _, want := range []string{"broken (name=x)", "exit 3", "log line before the end", "something broke in x"} {
		if !strings.Contains(st.Failed[0], want) {
			t.Errorf("the failed job's entry lacks %q:\n%s", want, st.Failed[0])
		}
	}

	// The markup in a wildcard value is shown as text, and never ran (no
	// dialog among the problems above, no script but the page's own).
	if st.Scripts != 1 {
		t.Errorf("%d script elements, want the page's one", st.Scripts)
	}
	shown := false
	for _, row := range st.IORows {
		shown = shown || strings.Contains(row, "out/<script>alert(1)</script>.txt")
	}
	if !shown || len(st.IORows) != len(run.Jobs) {
		t.Errorf("the file list (%d rows, %d jobs) does not show the markup value as text:\n%s", len(st.IORows), len(run.Jobs), strings.Join(st.IORows, "\n"))
	}

	// The embedded graph layout, forced, draws as many nodes, cleanly.
	var buf bytes.Buffer
	if err := report.Render(&buf, run, report.Options{NoGraphviz: true}); err != nil {
		t.Fatal(err)
	}
	fallback := filepath.Join(dir, "fallback.html")
	if err := os.WriteFile(fallback, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fst, _, fproblems := browse(t, fallback, 1000)
	for _, p := range fproblems {
		t.Errorf("the browser reported, embedded layout: %s", p)
	}
	if len(fst.Nodes) != len(run.Rules) || len(fst.Bars) != len(st.Bars) {
		t.Errorf("embedded layout: %d nodes, %d bars; want %d, %d", len(fst.Nodes), len(fst.Bars), len(run.Rules), len(st.Bars))
	}

	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() <= 700 {
		t.Errorf("screenshot %v, want the full page 1280 wide", b)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "report.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportScreenshotPeasoup makes docs/report.png: with
// FLOWMAKE_REPORT_PNG=FILE it runs examples/peasoup, reports it and
// writes the report's screenshot to FILE.
func TestReportScreenshotPeasoup(t *testing.T) {
	out := os.Getenv("FLOWMAKE_REPORT_PNG")
	if out == "" {
		t.Skip("set FLOWMAKE_REPORT_PNG=FILE to write the peasoup report's screenshot")
	}
	chromium(t)
	dir := copyTracked(t, filepath.Join("..", "..", "examples", "peasoup"))
	mustRun(t, dir, "-j4")
	mustRun(t, dir, "report")
	_, shot, problems := browse(t, filepath.Join(dir, "report.html"), 1100)
	for _, p := range problems {
		t.Errorf("the browser reported: %s", p)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
