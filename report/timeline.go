package report

import (
	"container/heap"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowmake/flowmake/meta"
)

// interval is the time a job ran, in nanoseconds from the run's start.
type interval struct{ start, end int64 }

// lanes assigns each interval the lowest-numbered lane that is free at its
// start, taking the intervals by start time: interval partitioning, which
// uses as many lanes as the most intervals that overlap at one instant,
// so for a local run the lanes are the worker slots in use. A lane is free
// from the instant its last interval ends: a job that starts as another
// ends takes its lane, and jobs that start together keep their order.
// It returns the lane of each interval and the
// number of lanes.
func lanes(iv []interval) ([]int, int) {
	order := make([]int, len(iv))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return iv[order[a]].start < iv[order[b]].start
	})
	lane := make([]int, len(iv))
	var busy busyHeap
	var free intHeap
	n := 0
	for _, i := range order {
		for len(busy) > 0 && busy[0].end <= iv[i].start {
			heap.Push(&free, heap.Pop(&busy).(busyLane).lane)
		}
		var l int
		if len(free) > 0 {
			l = heap.Pop(&free).(int)
		} else {
			l, n = n, n+1
		}
		lane[i] = l
		heap.Push(&busy, busyLane{end: max(iv[i].end, iv[i].start), lane: l})
	}
	return lane, n
}

type busyLane struct {
	end  int64
	lane int
}

type busyHeap []busyLane

func (h busyHeap) Len() int { return len(h) }
func (h busyHeap) Less(i, j int) bool {
	if h[i].end != h[j].end {
		return h[i].end < h[j].end
	}
	return h[i].lane < h[j].lane
}
func (h busyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *busyHeap) Push(x any)   { *h = append(*h, x.(busyLane)) }
func (h *busyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// started reports whether a job ran at all: a skipped job has no start.
func started(j *meta.JobRun) bool { return !j.Start.IsZero() }

// span is the run's time axis: from its start to the last end.
func span(r *meta.Run) (t0, t1 time.Time) {
	t0, t1 = r.Start, r.End
	for i := range r.Jobs {
		j := &r.Jobs[i]
		if !started(j) {
			continue
		}
		if t0.IsZero() || j.Start.Before(t0) {
			t0 = j.Start
		}
		if j.End.After(t1) {
			t1 = j.End
		}
		if j.Start.After(t1) {
			t1 = j.Start
		}
	}
	if t1.Before(t0) {
		t1 = t0
	}
	return t0, t1
}

// jobEnd is when a job stopped; an interrupted job recorded without an
// end is drawn up to the end of the run.
func jobEnd(j *meta.JobRun, t1 time.Time) time.Time {
	if j.End.IsZero() || j.End.Before(j.Start) {
		if j.End.IsZero() {
			return t1
		}
		return j.Start
	}
	return j.End
}

const (
	tlGutter = 30.0 // px, the lane numbers
	tlAxis   = 22.0 // px, the time axis above the lanes
	// The plot's horizontal coordinates are percentages of its width, so
	// the page's width stretches the bars and not the text.
	tlLeft, tlRight = 0.3, 99.7
)

// timelineSVG draws one bar per started job on its lane, coloured by rule,
// failed bars red with a dark outline (and interrupted ones grey), each
// with a tooltip. It returns the drawing (the lane numbers and the plot,
// side by side) and the number of lanes.
func timelineSVG(r *meta.Run, colors map[string]string) (template.HTML, int) {
	t0, t1 := span(r)
	var idx []int
	var iv []interval
	for i := range r.Jobs {
		j := &r.Jobs[i]
		if !started(j) {
			continue
		}
		idx = append(idx, i)
		iv = append(iv, interval{int64(j.Start.Sub(t0)), int64(jobEnd(j, t1).Sub(t0))})
	}
	if len(idx) == 0 {
		return "", 0
	}
	lane, n := lanes(iv)
	total := float64(max(t1.Sub(t0), time.Millisecond))
	laneH := 18.0
	if n > 40 {
		laneH = math.Max(3, 720/float64(n))
	}
	gap := math.Min(3, laneH/5)
	height := tlAxis + float64(n)*laneH + 4
	x := func(ns int64) float64 { return tlLeft + float64(ns)/total*(tlRight-tlLeft) }

	var b strings.Builder
	b.Grow(300 * len(idx)) // a bar with its tooltip
	fmt.Fprintf(&b, `<div class="tl"><svg class="lanes" width="%.0f" height="%.0f" aria-hidden="true">`, tlGutter, height)
	if n <= 40 {
		for l := range n {
			fmt.Fprintf(&b, `<text class="lanelabel" x="%.0f" y="%.1f" text-anchor="end">%d</text>`, tlGutter-6, tlAxis+float64(l)*laneH+laneH*0.7, l+1)
		}
	}
	fmt.Fprintf(&b, `</svg><svg class="timeline" height="%.0f" role="img" aria-label="timeline of jobs per worker slot">`, height)
	// Time axis: about six ticks at a round step.
	step := niceStep(time.Duration(total) / 6)
	for t := time.Duration(0); t <= time.Duration(total); t += step {
		xt := x(int64(t))
		fmt.Fprintf(&b, `<line class="tick" x1="%.2f%%" y1="%.0f" x2="%.2f%%" y2="%.0f"/>`, xt, tlAxis-4, xt, height)
		anchor, label := "middle", fmtDur(t)
		switch {
		case t == 0:
			anchor, label = "start", "0"
		case xt > 96: // the label would be cut at the right edge
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text class="ticklabel" x="%.2f%%" y="12" text-anchor="%s">%s</text>`, xt, anchor, esc(label))
	}
	for k, i := range idx {
		j := &r.Jobs[i]
		x1, x2 := x(iv[k].start), x(iv[k].end)
		w := math.Max(x2-x1, 0.1) // a job of a few milliseconds stays visible
		status := j.Status
		if status == "" {
			status = "ok"
		}
		fmt.Fprintf(&b, `<rect class="bar %s" data-job="%d" data-rule="%s" data-status="%s" data-lane="%d" x="%.3f%%" y="%.2f" width="%.3f%%" height="%.2f" fill="%s">`,
			esc(statusClass(status)), i, esc(j.Rule), esc(status), lane[k]+1, x1, tlAxis+float64(lane[k])*laneH, w, laneH-gap, esc(colors[j.Rule]))
		fmt.Fprintf(&b, `<title>%s</title></rect>`, esc(barTip(j, t0, t1)))
	}
	b.WriteString(`</svg></div>`)
	return template.HTML(b.String()), n
}

// statusClass keeps the bar's class to the few the style sheet knows.
func statusClass(s string) string {
	switch s {
	case "failed", "interrupted":
		return s
	}
	return "ok"
}

// barTip is a bar's tooltip: the job, when it ran, how it ended.
func barTip(j *meta.JobRun, t0, t1 time.Time) string {
	end := jobEnd(j, t1)
	var b strings.Builder
	b.WriteString(jobName(j))
	fmt.Fprintf(&b, "\n%s, from +%s to +%s", fmtDur(end.Sub(j.Start)), fmtDur(j.Start.Sub(t0)), fmtDur(end.Sub(t0)))
	fmt.Fprintf(&b, "\n%s", outcome(j))
	if j.MaxRSS > 0 {
		fmt.Fprintf(&b, ", max RSS %s", fmtBytes(j.MaxRSS))
	}
	if cpu := j.UserCPU + j.SysCPU; cpu > 0 {
		fmt.Fprintf(&b, ", CPU %s", fmtDur(cpu))
	}
	if j.Host != "" {
		fmt.Fprintf(&b, "\non %s", j.Host)
	}
	return b.String()
}

// outcome says how a job ended: "ok", "failed: exit 1", "failed: signal 9".
func outcome(j *meta.JobRun) string {
	s := j.Status
	if s == "" {
		s = "ok"
	}
	if s == "ok" || s == "skipped" {
		return s
	}
	switch {
	case j.Signal != 0:
		s += ": signal " + strconv.Itoa(j.Signal)
	case j.ExitCode != 0:
		s += ": exit " + strconv.Itoa(j.ExitCode)
	}
	return s
}

// niceStep rounds d up to a step a clock reads well: 1, 2 or 5 times a
// power of ten below a second, then 1, 2, 5, 10, 15, 30 s, and minutes
// and hours alike; past a day, whole days.
func niceStep(d time.Duration) time.Duration {
	for _, s := range tickSteps {
		if s >= d {
			return s
		}
	}
	return (d + 24*time.Hour - 1).Truncate(24 * time.Hour)
}

var tickSteps = func() []time.Duration {
	var s []time.Duration
	for p := time.Millisecond; p < time.Second; p *= 10 {
		s = append(s, p, 2*p, 5*p)
	}
	for _, u := range []time.Duration{time.Second, time.Minute} {
		for _, m := range []time.Duration{1, 2, 5, 10, 15, 30} {
			s = append(s, m*u)
		}
	}
	for _, m := range []time.Duration{1, 2, 3, 6, 12, 24} {
		s = append(s, m*time.Hour)
	}
	return s
}()
