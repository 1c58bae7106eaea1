package progress

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
	"github.com/flowmake/flowmake/rules"
)

// maxRunningRows is how many running jobs are listed under the bar; the
// rest are counted on one more line.
const maxRunningRows = 8

// ANSI colours of the live display (never in plain mode).
const (
	colorDim   = "\x1b[2m"
	colorGreen = "\x1b[32m"
	colorReset = "\x1b[0m"
)

// live is the bar and the running jobs under it. Its state is read by
// mpb's goroutines while rendering, so it is guarded by mu; mpb's own
// methods are never called with mu held (a render waits on both).
type live struct {
	opts Options

	mu      sync.Mutex
	t       tally
	p       *mpb.Progress // nil until the first job starts
	bar     *mpb.Bar
	stopped bool
}

func newLive(o Options) *live {
	return &live{opts: o, t: newTally(o, time.Now())}
}

func (l *live) started(j *dag.Job, total int) {
	now := time.Now()
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	if l.p == nil {
		l.t.start = now // the ETA's rate counts from the first start
		l.p, l.bar = l.draw()
	}
	l.t.started(j, total, now)
	bar := l.bar
	total = l.t.total
	l.mu.Unlock()
	bar.SetTotal(int64(total), false)
}

func (l *live) finished(j *dag.Job, r exec.Result) {
	l.mu.Lock()
	if l.p == nil || l.stopped {
		l.mu.Unlock()
		return
	}
	l.t.finished(j, r)
	bar, done := l.bar, l.t.done
	l.mu.Unlock()
	bar.SetCurrent(int64(done))
}

// stop removes the bar and waits until mpb has printed everything.
func (l *live) stop() {
	l.mu.Lock()
	p, bar := l.p, l.bar
	l.stopped = true
	l.mu.Unlock()
	if p == nil {
		return
	}
	bar.Abort(true) // true: the bar is dropped from the screen
	p.Wait()
}

// emit prints lines above the bar, or straight to stderr when there is
// no bar (before the first start, after the end).
func (l *live) emit(chunks ...chunk) {
	var buf []byte
	for _, c := range chunks {
		buf = append(buf, c.lines...)
	}
	l.mu.Lock()
	p := l.p
	if l.stopped {
		p = nil
	}
	l.mu.Unlock()
	if p != nil {
		if _, err := p.Write(buf); err == nil {
			return
		}
	}
	l.opts.Stderr.Write(buf)
}

// draw starts mpb with one bar: "12/30 done [=====>----] 1m4s, ETA 2m",
// and under it a row per running job.
func (l *live) draw() (*mpb.Progress, *mpb.Bar) {
	p := mpb.New(mpb.WithOutput(l.opts.Stderr), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	style := mpb.BarStyle()
	if l.opts.Color {
		style = style.FillerMeta(func(s string) string { return colorGreen + s + colorReset })
	}
	rows := make([]mpb.BarFiller, maxRunningRows+1)
	for i := range rows {
		rows[i] = mpb.BarFillerFunc(func(w io.Writer, st decor.Statistics) error {
			l.mu.Lock()
			line := l.t.row(i, time.Now())
			l.mu.Unlock()
			if line == "" {
				return nil // an empty row takes no line
			}
			if plain := visible(line); runewidth.StringWidth(plain) > st.AvailableWidth {
				// Cut without colour, so no escape is cut in two; a
				// wrapped row would shift every redraw.
				line = runewidth.Truncate(plain, st.AvailableWidth, "…")
			}
			_, err := io.WriteString(w, line+"\n")
			return err
		})
	}
	bar := p.New(0, style,
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			l.mu.Lock()
			defer l.mu.Unlock()
			return fmt.Sprintf("%d/%d done", l.t.done, l.t.total)
		})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			now := time.Now()
			l.mu.Lock()
			defer l.mu.Unlock()
			s := clock(now.Sub(l.t.start))
			if eta, ok := l.t.eta(now); ok {
				s += ", ETA " + clock(eta)
			}
			return s
		})),
		mpb.BarBtmExtender(rows...),
	)
	return p, bar
}

// clock is a duration on the bar, to the second: "4s", "1m5s".
func clock(d time.Duration) string {
	return d.Round(time.Second).String()
}

// running is a job that started and has not finished.
type running struct {
	j     *dag.Job
	name  string // Plain form
	rule  string
	since time.Time
}

// tally is what the bar shows: counts, running jobs, durations.
type tally struct {
	cores   int
	means   map[string]time.Duration // earlier runs'
	planned map[string]int
	color   bool

	start       time.Time
	total, done int
	byRule      map[string]int // started, per rule
	running     []running      // in start order
	seen        map[string]mean
	seenAll     mean
}

type mean struct {
	sum time.Duration
	n   int
}

func (m mean) get() (time.Duration, bool) {
	if m.n == 0 {
		return 0, false
	}
	return m.sum / time.Duration(m.n), true
}

func newTally(o Options, now time.Time) tally {
	return tally{cores: max(o.Cores, 1), means: o.Means, planned: o.Planned, color: o.Color,
		start: now, byRule: map[string]int{}, seen: map[string]mean{}}
}

func (t *tally) started(j *dag.Job, total int, now time.Time) {
	t.total = max(t.total, total)
	r := running{j: j, name: j.Key, since: now}
	if j.Spec != nil && j.Spec.Rule != nil {
		r.rule = j.Spec.Rule.Name
		r.name = rules.JobName(r.rule, j.Spec.Wildcards, rules.Plain)
	}
	t.byRule[r.rule]++
	t.running = append(t.running, r)
}

func (t *tally) finished(j *dag.Job, r exec.Result) {
	i := slices.IndexFunc(t.running, func(x running) bool { return x.j == j })
	if i < 0 {
		return // failed before it started
	}
	rule := t.running[i].rule
	t.running = slices.Delete(t.running, i, i+1)
	if !r.OK() {
		return
	}
	t.done++
	d := r.End.Sub(r.Start)
	m := t.seen[rule]
	m.sum, m.n = m.sum+d, m.n+1
	t.seen[rule] = m
	t.seenAll.sum, t.seenAll.n = t.seenAll.sum+d, t.seenAll.n+1
}

// row is the i-th line under the bar: a running job with its elapsed
// time, or after maxRunningRows of them how many more run; "" for none.
func (t *tally) row(i int, now time.Time) string {
	switch {
	case i < maxRunningRows && i < len(t.running):
		r := t.running[i]
		el := clock(now.Sub(r.since))
		if t.color {
			el = colorDim + el + colorReset
		}
		return "  " + r.name + "  " + el
	case i == maxRunningRows && len(t.running) > maxRunningRows:
		return fmt.Sprintf("  and %d more", len(t.running)-maxRunningRows)
	}
	return ""
}

// meanOf is the expected duration of a job of rule: earlier runs' mean,
// else this run's for the rule, else this run's for all jobs.
func (t *tally) meanOf(rule string) (time.Duration, bool) {
	if m, ok := t.means[rule]; ok && m > 0 {
		return m, true
	}
	if m, ok := t.seen[rule].get(); ok {
		return m, true
	}
	return t.seenAll.get()
}

// eta is the time left: the expected work of the running jobs (what is
// left of their means) and of those not started (Planned per rule, the
// rest at the overall mean) over the slots, and never less than the
// longest single piece. Without any durations yet it is the observed
// rate, and before anything finished it is unknown.
func (t *tally) eta(now time.Time) (time.Duration, bool) {
	left := t.total - t.done
	if left <= 0 {
		return 0, t.total > 0
	}
	var work, longest time.Duration
	add := func(d time.Duration, n int) {
		work += d * time.Duration(n)
		longest = max(longest, d)
	}
	known, counted := true, len(t.running)
	for _, r := range t.running {
		m, ok := t.meanOf(r.rule)
		known = known && ok
		add(max(m-now.Sub(r.since), 0), 1)
	}
	for rule, n := range t.planned {
		if rest := n - t.byRule[rule]; rest > 0 {
			m, ok := t.meanOf(rule)
			known = known && ok
			add(m, rest)
			counted += rest
		}
	}
	if extra := left - counted; extra > 0 { // added after checkpoints, or not planned
		m, ok := t.seenAll.get()
		if !ok {
			m, ok = averageOf(t.means)
		}
		known = known && ok
		add(m, extra)
	}
	if known {
		return max(work/time.Duration(min(t.cores, left)), longest), true
	}
	if t.done == 0 {
		return 0, false
	}
	return now.Sub(t.start) * time.Duration(left) / time.Duration(t.done), true
}

func averageOf(means map[string]time.Duration) (time.Duration, bool) {
	var m mean
	for _, d := range means {
		m.sum, m.n = m.sum+d, m.n+1
	}
	return m.get()
}

// visible drops ANSI escape sequences (CSI: ESC [ parameters, then a
// final byte from @ to ~), for widths and tests.
func visible(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\x1b' && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < '@' || s[j] > '~') {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
