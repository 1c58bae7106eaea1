// Package report renders one run of the run history (a meta.Run) as a
// single self-contained HTML file: `flowmake report`.
//
// The file opens offline and fetches nothing: the style sheet and a few
// lines of script are inline, and the pictures are inline SVG. It shows
// the run's summary, the rule graph, a timeline of the jobs per worker
// slot (the task stream of Dask's dashboard: the parallelism, the gaps,
// the long poles), per-rule runtime, RSS and CPU, the failed jobs with
// their log tails, and each job's inputs and outputs.
//
// The rule graph is drawn by graphviz dot when it is on PATH (its layout
// is the one --rulegraph users know, and it routes edges around boxes),
// else by a small layered layout in this package (graph.go), so the report
// never needs graphviz installed: a rule graph is tens of nodes, mostly a
// chain with a few branches, which ranks by longest path and a few
// barycentre sweeps draw well enough.
//
// Every text from the run (wildcard values, paths, log tails) is escaped:
// html/template escapes the page, and the SVG built here escapes each
// text it writes. A report of a 100,000-job run stays usable: the timeline
// draws every job (about 250 bytes each with its tooltip: a page of some
// 25 MB, rendered in about a second), but the inputs and outputs are
// listed for the first Options.MaxListed jobs only (DefaultMaxListed),
// with a note saying so.
package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/rules"
)

// DefaultMaxListed is how many jobs the inputs-and-outputs table lists
// when Options.MaxListed is 0: enough for any run one reads row by row,
// and a page that still opens quickly when the run had 100,000 jobs.
const DefaultMaxListed = 5000

// Options steer Render.
type Options struct {
	// Dot is the graphviz dot program; "" looks for dot on PATH.
	Dot string
	// NoGraphviz draws the rule graph with the embedded layout even when
	// dot is installed.
	NoGraphviz bool
	// MaxListed caps the inputs-and-outputs table; 0 means
	// DefaultMaxListed, a negative value lists every job.
	MaxListed int
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("report").Parse(pageHTML))

// Render writes the report of r to w.
func Render(w io.Writer, r *meta.Run, o Options) error {
	return page.Execute(w, build(r, o))
}

// failedColor marks failures everywhere: bars, graph borders, counts. The
// rule palette leaves red out for it.
const failedColor = "#d62728"

var palette = []string{
	"#6fa8dc", "#f6b26b", "#93c47d", "#b4a7d6", "#c9a27e", "#f4a6c8",
	"#76c7c0", "#d5d36b", "#a4c2f4", "#b7b7b7", "#ffd966", "#8e9fd1",
}

// view is what the template shows.
type view struct {
	Run         *meta.Run
	Title       string
	Summary     []field
	Started     int
	Graph       template.HTML
	GraphBy     string
	Timeline    template.HTML
	Lanes       int
	Legend      []legendItem
	Rules       []ruleStats
	Failed      []failedJob
	IO          []ioRow
	IOTotal     int
	IOCapped    bool
	Interrupted bool
}

type field struct{ Name, Value string }

type legendItem struct{ Rule, Color string }

type ruleStats struct {
	Rule, Color                   string
	Jobs, Ran, OK, Failed, Skip   int
	MeanTime, MaxTime, TotalTime  string
	MeanRSS, MaxRSS, CPU, MeanCPU string
}

type failedJob struct {
	Index                int
	Name, Outcome, Error string
	When, Host           string
	Capture              string
	Logs                 []string
	Tail                 string
}

type ioRow struct {
	Index                 int
	Name, Status          string
	Inputs, Outputs, Logs []string
}

func build(r *meta.Run, o Options) *view {
	v := &view{Run: r, Title: "flowmake run " + r.ID, Interrupted: r.Interrupted}
	colors, order := ruleColors(r)
	for _, rule := range order {
		v.Legend = append(v.Legend, legendItem{rule, colors[rule]})
	}
	for i := range r.Jobs {
		if started(&r.Jobs[i]) {
			v.Started++
		}
	}
	v.Summary = summary(r)
	v.Rules = stats(r, order, colors)
	v.Graph, v.GraphBy = graphSVG(graphOf(r, order, colors, v.Rules), o)
	v.Timeline, v.Lanes = timelineSVG(r, colors)
	_, t1 := span(r)
	for i := range r.Jobs {
		j := &r.Jobs[i]
		if j.Status != "failed" && j.Status != "interrupted" {
			continue
		}
		f := failedJob{Index: i, Name: jobName(j), Outcome: outcome(j), Error: j.Error,
			Host: j.Host, Capture: j.Capture, Logs: j.Logs, Tail: j.LogTail}
		if started(j) {
			f.When = fmt.Sprintf("%s – %s (%s)", clock(j.Start), clock(jobEnd(j, t1)), fmtDur(jobEnd(j, t1).Sub(j.Start)))
		}
		v.Failed = append(v.Failed, f)
	}
	limit := o.MaxListed
	if limit == 0 {
		limit = DefaultMaxListed
	}
	v.IOTotal = len(r.Jobs)
	for i := range r.Jobs {
		if limit > 0 && i >= limit {
			v.IOCapped = true
			break
		}
		j := &r.Jobs[i]
		v.IO = append(v.IO, ioRow{Index: i, Name: jobName(j), Status: statusOf(j),
			Inputs: j.Inputs, Outputs: j.Outputs, Logs: j.Logs})
	}
	return v
}

// ruleColors gives each rule a colour, in the order of r.Rules (then any
// rule only the jobs name), and returns that order.
func ruleColors(r *meta.Run) (map[string]string, []string) {
	colors := map[string]string{}
	var order []string
	add := func(rule string) {
		if _, ok := colors[rule]; !ok {
			colors[rule] = palette[len(order)%len(palette)]
			order = append(order, rule)
		}
	}
	for _, rule := range r.Rules {
		add(rule)
	}
	for _, e := range r.RuleEdges {
		add(e[0])
		add(e[1])
	}
	for i := range r.Jobs {
		add(r.Jobs[i].Rule)
	}
	return colors, order
}

func graphOf(r *meta.Run, order []string, colors map[string]string, st []ruleStats) ruleGraph {
	var g ruleGraph
	at := map[string]int{}
	for i, rule := range order {
		at[rule] = i
		g.Nodes = append(g.Nodes, graphNode{Rule: rule, Jobs: st[i].Jobs, Failed: st[i].Failed, Color: colors[rule]})
	}
	seen := map[[2]int]bool{}
	for _, e := range r.RuleEdges {
		ed := [2]int{at[e[0]], at[e[1]]}
		if ed[0] == ed[1] || seen[ed] {
			continue
		}
		seen[ed] = true
		g.Edges = append(g.Edges, ed)
	}
	return g
}

func summary(r *meta.Run) []field {
	t0, t1 := span(r)
	f := []field{
		{"Run", r.ID},
		{"Started", clock(t0)},
		{"Ended", clock(t1)},
		{"Wall time", fmtDur(t1.Sub(t0))},
		{"Command", strings.TrimSpace("flowmake " + shellJoin(r.Args))},
		{"Targets", strings.Join(r.Targets, " ")},
		{"Directory", r.Dir},
		{"Host", r.Host},
		{"Executor", r.Executor},
		{"Cores", strconv.Itoa(r.Cores)},
		{"flowmake", r.Version},
	}
	if r.Interrupted {
		f = append(f, field{"Interrupted", "yes: the run was stopped before it finished"})
	}
	return f
}

func stats(r *meta.Run, order []string, colors map[string]string) []ruleStats {
	type acc struct {
		ruleStats
		total, maxT, cpu time.Duration
		rss, maxRSS      int64
		rssN             int
	}
	by := make([]acc, len(order))
	at := map[string]int{}
	for i, rule := range order {
		at[rule] = i
		by[i].Rule, by[i].Color = rule, colors[rule]
	}
	_, t1 := span(r)
	for i := range r.Jobs {
		j := &r.Jobs[i]
		a := &by[at[j.Rule]]
		a.Jobs++
		switch statusOf(j) {
		case "ok":
			a.OK++
		case "failed", "interrupted":
			a.Failed++
		case "skipped":
			a.Skip++
		}
		if !started(j) {
			continue
		}
		a.Ran++
		d := jobEnd(j, t1).Sub(j.Start)
		a.total += d
		a.maxT = max(a.maxT, d)
		a.cpu += j.UserCPU + j.SysCPU
		if j.MaxRSS > 0 {
			a.rss += j.MaxRSS
			a.maxRSS = max(a.maxRSS, j.MaxRSS)
			a.rssN++
		}
	}
	out := make([]ruleStats, len(by))
	for i, a := range by {
		s := a.ruleStats
		s.MeanTime, s.MaxTime, s.TotalTime = "–", "–", "–"
		s.MeanRSS, s.MaxRSS, s.CPU, s.MeanCPU = "–", "–", "–", "–"
		if a.Ran > 0 {
			s.MeanTime = fmtDur(a.total / time.Duration(a.Ran))
			s.MaxTime = fmtDur(a.maxT)
			s.TotalTime = fmtDur(a.total)
			s.CPU = fmtDur(a.cpu)
			s.MeanCPU = fmtDur(a.cpu / time.Duration(a.Ran))
		}
		if a.rssN > 0 {
			s.MeanRSS = fmtBytes(a.rss / int64(a.rssN))
			s.MaxRSS = fmtBytes(a.maxRSS)
		}
		out[i] = s
	}
	return out
}

func statusOf(j *meta.JobRun) string {
	if j.Status == "" {
		if started(j) {
			return "ok"
		}
		return "skipped"
	}
	return j.Status
}

// jobName is the job as every other place in flowmake prints it.
func jobName(j *meta.JobRun) string { return rules.JobName(j.Rule, j.Wildcards, rules.Plain) }

func clock(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// fmtDur rounds d to what a reader compares: milliseconds below a second,
// tenths below a minute, seconds above.
func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + fmtDur(-d)
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return d.Round(time.Second).String()
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, u := float64(n), 0
	for f >= unit && u < 4 {
		f /= unit
		u++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + []string{"B", "KiB", "MiB", "GiB", "TiB"}[u]
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// shellJoin writes args as a shell would need them, for the summary.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || r == '/' || r == '=' || r == ',' || r == ':' || r == '+' ||
				'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
