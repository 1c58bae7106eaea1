package report

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowmake/flowmake/meta"
)

var t0 = time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// sampleRun is a small run: two branches, a failed job with a log tail, a
// skipped job and a wildcard value that is markup.
func sampleRun() *meta.Run {
	return &meta.Run{
		ID: "20261201-150405-3f9a", Start: t0, End: at(9), Version: "0.1.0-test",
		Args: []string{"-j2", "-k"}, Targets: []string{"all"}, Dir: "/tmp/wf", Host: "box",
		Executor: "local", Cores: 2, Total: 5, Done: 3, Failed: 1, Skipped: 1,
		Rules:     []string{"fetch", "count", "all"},
		RuleEdges: [][2]string{{"fetch", "count"}, {"count", "all"}},
		Jobs: []meta.JobRun{
			{Rule: "fetch", Wildcards: map[string]string{"s": "a"}, Outputs: []string{"raw/a.txt"}, Status: "ok", Start: at(0), End: at(2), MaxRSS: 3 << 20, UserCPU: time.Second},
			{Rule: "fetch", Wildcards: map[string]string{"s": "<script>alert(1)</script>"}, Outputs: []string{"raw/<b>.txt"}, Status: "ok", Start: at(0), End: at(3), MaxRSS: 5 << 20},
			{Rule: "count", Wildcards: map[string]string{"s": "a"}, Inputs: []string{"raw/a.txt"}, Outputs: []string{"n/a.txt"}, Status: "ok", Start: at(2), End: at(5)},
			{Rule: "count", Wildcards: map[string]string{"s": "<script>alert(1)</script>"}, Inputs: []string{"raw/<b>.txt"}, Status: "failed", ExitCode: 3,
				Start: at(3), End: at(4), Error: "exit status 3", LogTail: "line one\n</pre><script>alert(2)</script>\nboom"},
			{Rule: "all", Status: "skipped"},
		},
	}
}

func render(t *testing.T, r *meta.Run, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestLanesExamples(t *testing.T) {
	for _, tc := range []struct {
		name  string
		iv    []interval
		lanes []int
		n     int
	}{
		{"none", nil, []int{}, 0},
		{"serial", []interval{{0, 1}, {1, 2}, {2, 3}}, []int{0, 0, 0}, 1},
		{"parallel", []interval{{0, 5}, {0, 5}, {1, 2}}, []int{0, 1, 2}, 3},
		// At 6 lanes 1 and 2 are free: the lowest is taken.
		{"lowest free", []interval{{0, 10}, {0, 5}, {1, 3}, {6, 8}}, []int{0, 1, 2, 1}, 3},
		// Taken by start, not by input order.
		{"by start", []interval{{4, 6}, {0, 5}}, []int{1, 0}, 2},
		{"zero length", []interval{{2, 2}, {2, 2}}, []int{0, 0}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n := lanes(tc.iv)
			if n != tc.n || !equalInts(got, tc.lanes) {
				t.Errorf("lanes(%v) = %v, %d; want %v, %d", tc.iv, got, n, tc.lanes, tc.n)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLanesProperties checks on random intervals that no two intervals
// sharing a lane overlap and that the lanes are as few as the most
// intervals open at one instant.
func TestLanesProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		iv := make([]interval, rng.IntN(40))
		for i := range iv {
			s := rng.Int64N(100)
			iv[i] = interval{s, s + 1 + rng.Int64N(30)} // zero lengths: see the examples
		}
		lane, n := lanes(iv)
		for i := range iv {
			for j := i + 1; j < len(iv); j++ {
				if lane[i] == lane[j] && iv[i].start < iv[j].end && iv[j].start < iv[i].end {
					t.Fatalf("%v and %v overlap on lane %d", iv[i], iv[j], lane[i])
				}
			}
		}
		depth := 0
		for _, p := range iv {
			open := 0
			for _, q := range iv {
				if q.start <= p.start && p.start < q.end {
					open++
				}
			}
			depth = max(depth, open)
		}
		if n != depth {
			t.Fatalf("%d lanes for %v, most open at once %d", n, iv, depth)
		}
	}
}

func TestEscaping(t *testing.T) {
	for _, noDot := range []bool{true, false} {
		out := render(t, sampleRun(), Options{NoGraphviz: noDot})
		for _, bad := range []string{"<script>alert", "</pre><script>", "<b>.txt"} {
			if strings.Contains(out, bad) {
				t.Errorf("noDot=%v: %q is in the page unescaped", noDot, bad)
			}
		}
		if n := strings.Count(out, "<script"); n != 1 {
			t.Errorf("noDot=%v: %d <script elements, want only the page's own", noDot, n)
		}
		if !strings.Contains(out, "s=&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;") {
			t.Errorf("noDot=%v: the wildcard value is not shown escaped", noDot)
		}
		if !strings.Contains(out, "&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;") {
			t.Errorf("noDot=%v: the log tail is not shown escaped", noDot)
		}
	}
}

// TestSelfContained: nothing in the page refers to another file or site.
func TestSelfContained(t *testing.T) {
	for _, noDot := range []bool{true, false} {
		out := render(t, sampleRun(), Options{NoGraphviz: noDot})
		for _, re := range []string{`(?i)https?:`, `(?i)\b(src|href|xlink:href)\s*=`, `(?i)@import`, `(?i)url\(\s*['"]?[^#'")\s]`} {
			if m := regexp.MustCompile(re).FindString(out); m != "" {
				t.Errorf("noDot=%v: the page refers outside itself: %q (%s)", noDot, m, re)
			}
		}
	}
}

func TestTimelineBars(t *testing.T) {
	r := sampleRun()
	out := render(t, r, Options{NoGraphviz: true})
	bars := regexp.MustCompile(`<rect class="bar (\w+)" data-job="(\d+)"[^>]*data-status="(\w+)" data-lane="(\d+)"`).FindAllStringSubmatch(out, -1)
	if len(bars) != 4 {
		t.Fatalf("%d bars, want one per started job (4)", len(bars))
	}
	lanes := map[string]string{}
	for _, b := range bars {
		lanes[b[2]] = b[4]
		if b[2] == "3" && (b[1] != "failed" || b[3] != "failed") {
			t.Errorf("the failed job's bar is %v", b)
		}
		if b[2] == "4" {
			t.Errorf("the skipped job has a bar")
		}
	}
	// fetch a and fetch <script> start together: lanes 1 and 2; count a
	// takes lane 1 when fetch a ends, the failed count lane 2.
	want := map[string]string{"0": "1", "1": "2", "2": "1", "3": "2"}
	for k, v := range want {
		if lanes[k] != v {
			t.Errorf("job %s on lane %s, want %s (all: %v)", k, lanes[k], v, lanes)
		}
	}
	if !strings.Contains(out, "on 2 worker slots") {
		t.Errorf("the timeline does not say 2 slots")
	}
}

func TestCounts(t *testing.T) {
	out := render(t, sampleRun(), Options{NoGraphviz: true})
	for id, n := range map[string]string{"total": "5", "done": "3", "failed": "1", "skipped": "1"} {
		if !strings.Contains(out, `id="count-`+id+`" data-count="`+n+`"`) {
			t.Errorf("count %s is not %s", id, n)
		}
	}
	// Per-rule figures: count has 2 jobs, 1 ok, 1 failed, mean 2.0s, max 3.0s.
	row := regexp.MustCompile(`(?s)<tr data-rule="count">.*?</tr>`).FindString(out)
	cells := regexp.MustCompile(`<td class="n">([^<]*)</td>`).FindAllStringSubmatch(row, -1)
	var got []string
	for _, c := range cells {
		got = append(got, c[1])
	}
	if want := "2 1 1 0 2.0s 3.0s 4.0s"; !strings.HasPrefix(strings.Join(got, " "), want) {
		t.Errorf("count's row is %v, want it to start %q", got, want)
	}
	fetch := regexp.MustCompile(`(?s)<tr data-rule="fetch">.*?</tr>`).FindString(out)
	if !strings.Contains(fetch, "4.0 MiB") || !strings.Contains(fetch, "5.0 MiB") {
		t.Errorf("fetch's row lacks mean RSS 4.0 MiB and max 5.0 MiB: %s", fetch)
	}
}

func TestIOListCapped(t *testing.T) {
	r := sampleRun()
	out := render(t, r, Options{NoGraphviz: true, MaxListed: 2})
	if n := strings.Count(out, `<tr id="job-`); n != 2 {
		t.Errorf("%d rows listed, want 2", n)
	}
	if !strings.Contains(out, "The first 2 of 5 jobs are listed") {
		t.Errorf("no note that the listing is capped")
	}
	out = render(t, r, Options{NoGraphviz: true})
	if n := strings.Count(out, `<tr id="job-`); n != 5 || strings.Contains(out, "io-capped") {
		t.Errorf("%d rows listed, want all 5 without a note", n)
	}
}

func TestRanks(t *testing.T) {
	// a→b→d, a→c→d and a long edge a→d: d is on rank 2, below both.
	got := ranks(4, [][2]int{{0, 1}, {1, 3}, {0, 2}, {2, 3}, {0, 3}})
	if !equalInts(got, []int{0, 1, 1, 2}) {
		t.Errorf("ranks = %v", got)
	}
	// A side input (3) joins just above its consumer (2).
	got = ranks(4, [][2]int{{0, 1}, {1, 2}, {3, 2}})
	if !equalInts(got, []int{0, 1, 2, 1}) {
		t.Errorf("ranks with a side input = %v", got)
	}
	// A cycle does not hang and goes below the rest.
	got = ranks(3, [][2]int{{1, 2}, {2, 1}})
	if !equalInts(got, []int{0, 1, 1}) {
		t.Errorf("ranks with a cycle = %v", got)
	}
}

// svgDoc is just enough of an SVG to check the drawing's structure.
type svgDoc struct {
	Paths []struct {
		Class string `xml:"class,attr"`
	} `xml:"path"`
	Groups []struct {
		Class string `xml:"class,attr"`
		Rule  string `xml:"data-rule,attr"`
		Rect  struct {
			Y      float64 `xml:"y,attr"`
			Height float64 `xml:"height,attr"`
		} `xml:"rect"`
		Texts []string `xml:"text"`
	} `xml:"g"`
}

func TestFallbackSVG(t *testing.T) {
	r := sampleRun()
	r.Rules = append(r.Rules, "a<b")
	r.RuleEdges = append(r.RuleEdges, [2]string{"fetch", "a<b"}, [2]string{"fetch", "count"}, [2]string{"all", "all"})
	out := render(t, r, Options{NoGraphviz: true})
	m := regexp.MustCompile(`(?s)<svg class="fallback".*?</svg>`).FindString(out)
	if m == "" {
		t.Fatal("no fallback SVG in the page")
	}
	if !strings.Contains(out, "flowmake&#39;s embedded layout") {
		t.Error("the page does not say the embedded layout drew the graph")
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(m), &doc); err != nil {
		t.Fatalf("the SVG is not well-formed: %v\n%s", err, m)
	}
	y := map[string]float64{}
	for _, g := range doc.Groups {
		if g.Class != "node" {
			continue
		}
		y[g.Rule] = g.Rect.Y
		if len(g.Texts) != 2 || g.Texts[0] != g.Rule {
			t.Errorf("node %q says %q", g.Rule, g.Texts)
		}
	}
	if len(y) != 4 {
		t.Fatalf("nodes %v, want one per rule (4)", y)
	}
	if !(y["fetch"] < y["count"] && y["count"] < y["all"] && y["a<b"] == y["count"]) {
		t.Errorf("ranks drawn wrong: %v", y)
	}
	// The duplicate and the loop are dropped.
	if len(doc.Paths) != 3 {
		t.Errorf("%d edges, want 3", len(doc.Paths))
	}
}

func TestGraphviz(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("graphviz dot is not installed")
	}
	r := sampleRun()
	r.Rules = append(r.Rules, `we"ird\N`)
	out := render(t, r, Options{})
	if !strings.Contains(out, "drawn by graphviz dot") {
		t.Fatal("the page does not say dot drew the graph")
	}
	for _, bad := range []string{"<?xml", "<!DOCTYPE svg", "xmlns"} {
		if strings.Contains(out, bad) {
			t.Errorf("the page holds %q from dot's output", bad)
		}
	}
	if n := len(regexp.MustCompile(`<g id="rule_\d+" class="node"`).FindAllString(out, -1)); n != 4 {
		t.Errorf("%d nodes in dot's SVG, want 4", n)
	}
	if !strings.Contains(out, `we&quot;ird\N`) && !strings.Contains(out, `we&#34;ird\N`) {
		t.Errorf("the odd rule name is not shown as it is")
	}
}

func TestGraphvizFailing(t *testing.T) {
	out := render(t, sampleRun(), Options{Dot: "/nonexistent/dot"})
	if !strings.Contains(out, `<svg class="fallback"`) || !strings.Contains(out, "graphviz dot failed") {
		t.Error("a failing dot does not fall back to the embedded layout with a note")
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0ms", 230 * time.Millisecond: "230ms", 1500 * time.Millisecond: "1.5s",
		90 * time.Second: "1m30s", -2 * time.Second: "-2.0s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for d, want := range map[time.Duration]time.Duration{
		0: time.Millisecond, 3 * time.Millisecond: 5 * time.Millisecond, 1400 * time.Millisecond: 2 * time.Second,
		40 * time.Second: time.Minute, 11 * time.Minute: 15 * time.Minute, 50 * time.Hour: 72 * time.Hour,
	} {
		if got := niceStep(d); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", d, got, want)
		}
	}
}

// bigRun is a run of n jobs of two rules on 8 slots, a few failed.
func bigRun(n int) *meta.Run {
	r := &meta.Run{ID: "big", Start: t0, Cores: 8, Total: n, Rules: []string{"work", "gather"},
		RuleEdges: [][2]string{{"work", "gather"}}}
	for i := range n {
		s := at(float64(i) / 8)
		j := meta.JobRun{Rule: "work", Wildcards: map[string]string{"i": strconv.Itoa(i)},
			Inputs: []string{"in/" + strconv.Itoa(i) + ".txt"}, Outputs: []string{"out/" + strconv.Itoa(i) + ".txt"},
			Status: "ok", Start: s, End: s.Add(time.Second), MaxRSS: 1 << 20}
		if i%1000 == 999 {
			j.Status, j.ExitCode, j.LogTail = "failed", 1, "no"
			r.Failed++
		}
		r.Jobs = append(r.Jobs, j)
	}
	r.End = at(float64(n)/8 + 1)
	r.Done = n - r.Failed
	return r
}

func TestLargeRun(t *testing.T) {
	r := bigRun(20000)
	out := render(t, r, Options{NoGraphviz: true})
	if n := strings.Count(out, `<rect class="bar `); n != 20000 {
		t.Errorf("%d bars, want 20000", n)
	}
	if n := strings.Count(out, `<tr id="job-`); n != DefaultMaxListed {
		t.Errorf("%d jobs listed, want %d", n, DefaultMaxListed)
	}
	if !strings.Contains(out, "The first 5000 of 20000 jobs are listed") {
		t.Error("no note that the listing is capped")
	}
	if n := strings.Count(out, `class="failedjob"`); n != 20 {
		t.Errorf("%d failed jobs shown, want 20", n)
	}
	// 8 jobs start each second and each runs 1s: job i+8 starts as job i
	// ends, on its slot.
	if !strings.Contains(out, "on 8 worker slots") {
		t.Errorf("the timeline does not say 8 slots")
	}
}

func BenchmarkRender100k(b *testing.B) {
	r := bigRun(100000)
	for b.Loop() {
		var w bytes.Buffer
		if err := Render(&w, r, Options{NoGraphviz: true}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(w.Len())/1e6, "MB")
	}
}

// TestEmptyRun: a run without jobs (or a damaged one) still renders.
func TestEmptyRun(t *testing.T) {
	out := render(t, &meta.Run{ID: "empty"}, Options{})
	for _, want := range []string{"flowmake run empty", "No job started.", "no jobs, no graph", `data-count="0"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the page of an empty run lacks %q", want)
		}
	}
}
