package progress

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
	"github.com/flowmake/flowmake/rules"
)

func job(rule string, wc map[string]string) (*dag.Job, exec.Spec) {
	j := &dag.Job{Key: rules.JobName(rule, wc, rules.Plain), Spec: &rules.Job{Rule: &rules.Rule{Name: rule}, Wildcards: wc}}
	return j, exec.Spec{Name: j.Key, Rule: rule}
}

// safeBuffer is a bytes.Buffer for concurrent writers.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ok(d time.Duration) exec.Result {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return exec.Result{Start: start, End: start.Add(d)}
}

// TestPlain: a done line per finished job, the output of each job in one
// block behind its name, on its own stream, and the summary last.
func TestPlain(t *testing.T) {
	var stdout, stderr safeBuffer
	d := New(Options{Stdout: &stdout, Stderr: &stderr, Cores: 2})
	a, as := job("count", map[string]string{"sample": "a"})
	b, bs := job("count", map[string]string{"sample": "b"})
	d.Started(a, as, 1, 3)
	d.Started(b, bs, 2, 3)
	ao, ae, adone := d.JobOutput(as)
	bo, _, bdone := d.JobOutput(bs)
	io.WriteString(ao, "a1\na")
	io.WriteString(bo, "b1\n")
	io.WriteString(ae, "warn a\n")
	io.WriteString(ao, "2\nno newline")
	bdone()
	d.Finished(b, bs, ok(1200*time.Millisecond))
	adone()
	d.Finished(a, as, exec.Result{ExitCode: 3})
	d.Done(exec.Summary{Total: 3, Done: 1, Failed: 1, Skipped: 1})

	wantOut := "count sample=b | b1\n" +
		"count sample=a | a1\ncount sample=a | a2\ncount sample=a | no newline\n"
	if stdout.String() != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), wantOut)
	}
	wantErr := "[1/3] done count (sample=b) in 1.2s\n" +
		"count sample=a | warn a\n" +
		"FAILED rule count (sample=a), exit 3\n" +
		"1 of 3 steps (33%) done; 1 failed, 1 skipped\n"
	if stderr.String() != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), wantErr)
	}
}

// TestPlainOneCore: at -j1 lines stream at once, unprefixed, as
// Snakemake prints them; still only whole lines.
func TestPlainOneCore(t *testing.T) {
	var stdout, stderr safeBuffer
	d := New(Options{Stdout: &stdout, Stderr: &stderr, Cores: 1})
	a, as := job("all", nil)
	d.Started(a, as, 1, 1)
	o, _, done := d.JobOutput(as)
	io.WriteString(o, "first\nsec")
	if stdout.String() != "first\n" {
		t.Errorf("streamed %q, want the whole first line only", stdout.String())
	}
	io.WriteString(o, "ond\n")
	done()
	if stdout.String() != "first\nsecond\n" {
		t.Errorf("stdout %q", stdout.String())
	}
	d.Finished(a, as, ok(0))
	d.Done(exec.Summary{Total: 1, Done: 1, Elapsed: time.Second})
	if want := "[1/1] done all in 0.0s\n1 of 1 steps (100%) done in 1.0s\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

func TestQuiet(t *testing.T) {
	var stdout, stderr safeBuffer
	d := New(Options{Stdout: &stdout, Stderr: &stderr, Cores: 2, Quiet: true, PrintCommands: true, Reasons: true})
	a, as := job("count", map[string]string{"sample": "a"})
	b, bs := job("count", map[string]string{"sample": "b"})
	as.Command, bs.Command = "wc a", "wc b"
	d.Started(a, as, 1, 2)
	d.Started(b, bs, 2, 2)
	d.Finished(a, as, ok(time.Second))
	d.Finished(b, bs, exec.Result{ExitCode: 1})
	d.Done(exec.Summary{Total: 2, Done: 1, Failed: 1})
	want := "FAILED rule count (sample=b), exit 1\n    wc b\n1 of 2 steps (50%) done; 1 failed, 0 skipped\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}

	stderr = safeBuffer{}
	d = New(Options{Stdout: &stdout, Stderr: &stderr, Cores: 2, Quiet: true})
	d.Started(a, as, 1, 1)
	d.Finished(a, as, ok(time.Second))
	d.Done(exec.Summary{Total: 1, Done: 1})
	if stderr.String() != "" {
		t.Errorf("a quiet success printed %q", stderr.String())
	}
}

// TestGroupedConcurrent: many jobs writing both streams in pieces at
// once; every job's lines come out whole, prefixed, in order and in one
// block per stream.
func TestGroupedConcurrent(t *testing.T) {
	var stdout, stderr safeBuffer
	d := New(Options{Stdout: &stdout, Stderr: &stderr, Cores: 8, StreamAfter: time.Hour})
	const jobs, lines = 20, 50
	var wg sync.WaitGroup
	for i := range jobs {
		j, spec := job("step", map[string]string{"n": fmt.Sprint(i)})
		d.Started(j, spec, i+1, jobs)
		o, e, done := d.JobOutput(spec)
		wg.Go(func() {
			defer done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			var text [2]string
			for k := range lines {
				text[0] += fmt.Sprintf("out %d.%d\n", i, k)
				text[1] += fmt.Sprintf("err %d.%d\n", i, k)
			}
			// Two writers at once, as exec.Local's two copiers are.
			var inner sync.WaitGroup
			for s, w := range []io.Writer{o, e} {
				cuts := rng.Perm(len(text[s]))[:10]
				inner.Go(func() {
					rest, at := text[s], 0
					for _, c := range append(sortInts(cuts), len(text[s])) {
						w.Write([]byte(rest[at:c]))
						at = c
					}
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()
	for s, got := range map[string]string{"out": stdout.String(), "err": stderr.String()} {
		all := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(all) != jobs*lines {
			t.Fatalf("%s: %d lines, want %d", s, len(all), jobs*lines)
		}
		line := regexp.MustCompile(`^step n=(\d+) \| ` + s + ` (\d+)\.(\d+)$`)
		for k, l := range all {
			m := line.FindStringSubmatch(l)
			if m == nil || m[1] != m[2] {
				t.Fatalf("%s line %d garbled: %q", s, k, l)
			}
			// Grouped: the lines of a block are one job's, in order.
			if want := fmt.Sprint(k % lines); m[3] != want {
				t.Fatalf("%s line %d is %q, want line %s of a job's block", s, k, l, want)
			}
		}
	}
}

func sortInts(a []int) []int {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if a[j] < a[i] {
				a[i], a[j] = a[j], a[i]
			}
		}
	}
	return a
}

// TestStreamLongJobs: a job's output starts streaming after StreamAfter
// or once GroupLimit bytes are held, and never shows a partial line.
func TestStreamLongJobs(t *testing.T) {
	var stdout, stderr safeBuffer
	d := New(Options{Stdout: &stdout, Stderr: &stderr, Cores: 4, StreamAfter: 50 * time.Millisecond, GroupLimit: 100})
	a, as := job("slow", nil)
	began := time.Now()
	d.Started(a, as, 1, 2)
	o, _, done := d.JobOutput(as)
	io.WriteString(o, "early\npart")
	// Only a check while the job is young: a stalled test machine may
	// take longer than StreamAfter to get here.
	if got := stdout.String(); got != "" && time.Since(began) < 50*time.Millisecond {
		t.Errorf("printed %q before the job ran long", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for stdout.String() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if stdout.String() != "slow | early\n" {
		t.Errorf("after StreamAfter: %q, want the held whole line", stdout.String())
	}
	io.WriteString(o, "ial\n")
	if stdout.String() != "slow | early\nslow | partial\n" {
		t.Errorf("streaming: %q", stdout.String())
	}
	done()

	stdout = safeBuffer{}
	b, bs := job("chatty", nil)
	d.Started(b, bs, 2, 2)
	o, _, done = d.JobOutput(bs)
	io.WriteString(o, strings.Repeat("x", 60)+"\n")
	if stdout.String() != "" {
		t.Errorf("printed below the limit: %q", stdout.String())
	}
	io.WriteString(o, strings.Repeat("y", 60)+"\n")
	if strings.Count(stdout.String(), "chatty | ") != 2 {
		t.Errorf("over the limit, held output not printed: %q", stdout.String())
	}
	// A line longer than the limit is cut rather than held forever.
	io.WriteString(o, strings.Repeat("z", 150))
	if !strings.Contains(stdout.String(), "chatty | "+strings.Repeat("z", 150)+"\n") {
		t.Errorf("a line over the limit was held: %q", stdout.String())
	}
	done()
}

func TestDetect(t *testing.T) {
	pty := openPTY(t)
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	var buf bytes.Buffer
	tests := []struct {
		name           string
		stdout, stderr io.Writer
		env            func(string) (string, bool)
		live, color    bool
	}{
		{"terminal", pty, pty, env("TERM", "xterm"), true, true},
		{"NO_COLOR", pty, pty, env("TERM", "xterm", "NO_COLOR", "1"), true, false},
		{"NO_COLOR empty", pty, pty, env("NO_COLOR", ""), true, false},
		{"CI", pty, pty, env("CI", "true"), false, false},
		{"CI empty", pty, pty, env("CI", ""), false, false},
		{"dumb", pty, pty, env("TERM", "dumb"), false, false},
		{"stdout piped", &buf, pty, env(), false, false},
		{"stderr piped", pty, &buf, env(), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, color := Detect(tt.stdout, tt.stderr, tt.env)
			if live != tt.live || color != tt.color {
				t.Errorf("live %v, colour %v; want %v, %v", live, color, tt.live, tt.color)
			}
		})
	}
}

// openPTY opens a pseudo-terminal of 100x30 and returns its terminal
// side; what is written there is read from the other side and discarded
// unless a test reads it (see screen).
func openPTY(t *testing.T) *os.File {
	t.Helper()
	pts, _ := openPTYPair(t)
	return pts
}

func openPTYPair(t *testing.T) (pts, ptm *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	fd := int(ptm.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	if err := unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: 100, Row: 30}); err != nil {
		t.Fatal(err)
	}
	return pts, ptm
}

// screen collects what the terminal side of a pty shows, raw.
type screen struct {
	mu   sync.Mutex
	raw  bytes.Buffer
	done chan struct{}
}

func readScreen(ptm *os.File) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			s.mu.Lock()
			s.raw.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(visible(s.String()), want) {
			return
		}
	}
	t.Fatalf("the terminal never showed %q:\n%q", want, s.String())
}

// TestLive drives the live display on a pseudo-terminal: the bar counts,
// the running jobs are listed, lines go above, colour follows Color, and
// after Done the summary is the last thing written.
func TestLive(t *testing.T) {
	for _, color := range []bool{true, false} {
		t.Run(fmt.Sprintf("colour %v", color), func(t *testing.T) {
			pts, ptm := openPTYPair(t)
			scr := readScreen(ptm)
			d := New(Options{Stdout: pts, Stderr: pts, Live: true, Color: color, Cores: 2, StreamAfter: time.Hour})
			a, as := job("count", map[string]string{"sample": "a"})
			b, bs := job("count", map[string]string{"sample": "b"})
			d.Started(a, as, 1, 3)
			d.Started(b, bs, 2, 3)
			scr.waitFor(t, "0/3 done")
			scr.waitFor(t, "  count (sample=a)  ")
			scr.waitFor(t, "  count (sample=b)  ")
			o, e, done := d.JobOutput(as)
			if o != e {
				t.Errorf("live mode: two writers, so two pipes and the streams' order lost")
			}
			io.WriteString(o, "hello\n")
			done()
			d.Finished(a, as, ok(time.Second))
			scr.waitFor(t, "count sample=a | hello")
			scr.waitFor(t, "[1/3] done count (sample=a) in 1.0s")
			scr.waitFor(t, "1/3 done")
			d.Finished(b, bs, ok(time.Second))
			d.Done(exec.Summary{Total: 3, Done: 2, Failed: 0, Skipped: 1, Interrupted: true})
			pts.Close()
			<-scr.done
			raw := scr.String()
			if has := strings.Contains(raw, colorGreen); has != color {
				t.Errorf("colour %v, but green in the output: %v", color, has)
			}
			// Nothing but the summary after the bar's removal.
			last := raw[strings.LastIndex(raw, "\x1b[J")+len("\x1b[J"):]
			if !strings.HasSuffix(strings.ReplaceAll(last, "\r", ""), "2 of 3 steps (66%) done; interrupted, 0 stopped\n") ||
				strings.Contains(last, "done [") || strings.Contains(last, "count (sample=b)  ") {
				t.Errorf("after the bar was removed:\n%q", last)
			}
		})
	}
}

func TestETA(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a, _ := job("align", map[string]string{"s": "1"})
	b, _ := job("align", map[string]string{"s": "2"})
	c, _ := job("call", nil)
	tests := []struct {
		name  string
		opts  Options
		setup func(t *tally)
		want  time.Duration
		known bool
	}{
		{"nothing known yet", Options{Cores: 2}, func(t *tally) { t.started(a, 4, now) }, 0, false},
		{"means over the slots", Options{Cores: 2, Means: map[string]time.Duration{"align": 10 * time.Second, "call": 30 * time.Second},
			Planned: map[string]int{"align": 4, "call": 1}},
			func(t *tally) { t.total = 5 },
			// 4*10s + 30s over 2 slots, the 30s job itself shorter.
			35 * time.Second, true},
		{"running jobs count what is left of their means", Options{Cores: 2, Means: map[string]time.Duration{"align": 10 * time.Second, "call": 30 * time.Second},
			Planned: map[string]int{"align": 2, "call": 1}},
			func(t *tally) { t.started(a, 3, now.Add(-4*time.Second)); t.started(b, 3, now.Add(-12*time.Second)) },
			// 6s + 0s (over its mean) + 30s, over 2 slots: the 30s call is longest.
			30 * time.Second, true},
		{"this run's durations without history", Options{Cores: 1, Planned: map[string]int{"align": 3}},
			func(t *tally) {
				t.started(a, 3, now)
				t.finished(a, ok(6*time.Second))
				t.started(b, 3, now)
			},
			12 * time.Second, true},
		{"jobs added after a checkpoint at the overall mean", Options{Cores: 1, Planned: map[string]int{"align": 1}},
			func(t *tally) {
				t.started(a, 1, now)
				t.finished(a, ok(4*time.Second))
				t.total = 3 // grown
			},
			8 * time.Second, true},
		{"a failed job is not done", Options{Cores: 1, Planned: map[string]int{"call": 2}, Means: map[string]time.Duration{"call": time.Second}},
			func(t *tally) {
				t.started(c, 2, now)
				t.finished(c, exec.Result{ExitCode: 1})
			},
			2 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTally(tt.opts, now.Add(-time.Minute))
			tt.setup(&ta)
			got, known := ta.eta(now)
			if got != tt.want || known != tt.known {
				t.Errorf("eta %v (known %v), want %v (%v)", got, known, tt.want, tt.known)
			}
		})
	}
}

func TestRows(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ta := newTally(Options{Cores: 4}, now)
	for i := range maxRunningRows + 3 {
		j, _ := job("step", map[string]string{"n": fmt.Sprint(i)})
		ta.started(j, 20, now.Add(-time.Duration(i)*time.Second))
	}
	if got := ta.row(0, now); got != "  step (n=0)  0s" {
		t.Errorf("row 0: %q", got)
	}
	if got := ta.row(2, now); got != "  step (n=2)  2s" {
		t.Errorf("row 2: %q", got)
	}
	if got := ta.row(maxRunningRows, now); got != "  and 3 more" {
		t.Errorf("last row: %q", got)
	}
	ta.finished(ta.running[0].j, ok(time.Second))
	if got := ta.row(0, now); got != "  step (n=1)  1s" {
		t.Errorf("after the first finished, row 0: %q", got)
	}
	for range 4 {
		ta.finished(ta.running[0].j, ok(time.Second))
	}
	if got := ta.row(maxRunningRows, now); got != "" {
		t.Errorf("with %d running, the count row is %q", len(ta.running), got)
	}
}
