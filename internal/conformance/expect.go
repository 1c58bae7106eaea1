package conformance

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Expected is expected.yaml: what Snakemake showed for each run step.
type Expected struct {
	Snakemake string         `yaml:"snakemake"`
	Recorded  string         `yaml:"recorded"`
	Steps     []ExpectedStep `yaml:"steps"`
}

// ExpectedStep is one run step's recorded result.
type ExpectedStep struct {
	Step   int      `yaml:"step"`
	Run    []string `yaml:"run,flow"`
	Result `yaml:",inline"`
}

// Write stores e as dir/expected.yaml.
func (e *Expected) Write(dir string) error {
	var b bytes.Buffer
	b.WriteString("# Recorded from Snakemake by scripts/record-conformance.sh; do not edit.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(e); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "expected.yaml"), b.Bytes(), 0o644)
}

// Want is what flowmake must show for run step i (1-based): the recorded
// result with the step's override, if any, applied.
func (c *Case) Want(i int) (Result, *Override, error) {
	if c.Expected == nil {
		return Result{}, nil, errNoExpected
	}
	var rec *ExpectedStep
	for k := range c.Expected.Steps {
		if c.Expected.Steps[k].Step == i {
			rec = &c.Expected.Steps[k]
		}
	}
	s := c.Steps[i-1]
	if rec == nil || strings.Join(rec.Run, "\x00") != strings.Join(s.Run, "\x00") {
		return Result{}, nil, fmt.Errorf("step %d: expected.yaml does not match case.yaml (%s); re-record", i, s)
	}
	want := rec.Result
	want.Files = copyMap(rec.Files)
	o := s.Expect
	if o == nil {
		return want, nil, nil
	}
	if o.Exit != "" {
		want.Exit = o.Exit
	}
	if o.jobsSet {
		want.Jobs = append([]string{}, o.Jobs...)
		sort.Strings(want.Jobs)
	}
	for p, v := range o.Files {
		if v == nil {
			delete(want.Files, p)
		} else {
			want.Files[p] = *v
		}
	}
	return want, o, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Compare lists how got differs from want, one line per difference, in a
// fixed order (exit, jobs, files, read-only).
func Compare(want, got Result) []string {
	var diffs []string
	if want.Exit != got.Exit {
		diffs = append(diffs, fmt.Sprintf("exit: want %s, got %s", want.Exit, got.Exit))
	}
	if missing, extra := setDiff(want.Jobs, got.Jobs); len(missing)+len(extra) > 0 {
		diffs = append(diffs, "jobs: "+describe(missing, extra, 10))
	}
	var wantPaths, gotPaths []string
	for p := range want.Files {
		wantPaths = append(wantPaths, p)
	}
	for p := range got.Files {
		gotPaths = append(gotPaths, p)
	}
	missing, extra := setDiff(wantPaths, gotPaths)
	if len(missing)+len(extra) > 0 {
		diffs = append(diffs, "files: "+describe(missing, extra, 10))
	}
	var changed []string
	for _, p := range sortedKeys(want.Files) {
		if g, ok := got.Files[p]; ok && g != want.Files[p] {
			changed = append(changed, fmt.Sprintf("content of %s: want %s, got %s", p, quoteShort(want.Files[p]), quoteShort(g)))
		}
	}
	if len(changed) > 5 {
		changed = append(changed[:5], fmt.Sprintf("... and %d more files with other content", len(changed)-5))
	}
	diffs = append(diffs, changed...)
	if missing, extra := setDiff(want.ReadOnly, got.ReadOnly); len(missing)+len(extra) > 0 {
		diffs = append(diffs, "read-only files: "+describe(missing, extra, 10))
	}
	return diffs
}

// setDiff returns what is in want but not in got and the reverse, as
// multisets (a job that ran twice is not the same as once), sorted.
func setDiff(want, got []string) (missing, extra []string) {
	count := map[string]int{}
	for _, w := range want {
		count[w]++
	}
	for _, g := range got {
		count[g]--
	}
	for _, k := range sortedKeys(count) {
		for n := count[k]; n > 0; n-- {
			missing = append(missing, k)
		}
		for n := count[k]; n < 0; n++ {
			extra = append(extra, k)
		}
	}
	return missing, extra
}

func describe(missing, extra []string, max int) string {
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+list(missing, max))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+list(extra, max))
	}
	return strings.Join(parts, "; ")
}

func list(items []string, max int) string {
	quoted := make([]string, 0, len(items))
	for i, it := range items {
		if i == max {
			quoted = append(quoted, fmt.Sprintf("... (%d in all)", len(items)))
			break
		}
		quoted = append(quoted, fmt.Sprintf("%q", it))
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func quoteShort(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%q...", s[:120])
	}
	return fmt.Sprintf("%q", s)
}

// Tail is the last n lines of s, for failure messages.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Report renders a mismatch of one run step for a failure message: the
// case, the step and its command line, each difference, and the tail of
// the tool's stderr.
func Report(c *Case, o *Outcome, tool Tool, ov *Override, diffs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "case %s, step %d: %s %s\n", c.Name, o.Step, tool.Name, strings.Join(o.Args, " "))
	if o.TimedOut {
		fmt.Fprintf(&b, "  TIMED OUT after %s\n", o.Elapsed.Round(1e6))
	}
	if ov != nil {
		fmt.Fprintf(&b, "  (expected result overridden: %s — %s)\n", Differences[ov.Difference], ov.Why)
	}
	for _, d := range diffs {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	fmt.Fprintf(&b, "  exit code %d; stderr tail:\n%s\n", o.Code, indent(Tail(o.Stderr, 15), "    | "))
	return b.String()
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// Check compares an outcome with the wanted result and the override's
// stderr expectations.
func Check(want Result, ov *Override, o *Outcome) []string {
	diffs := Compare(want, o.Result)
	if ov != nil {
		for _, s := range ov.StderrContains {
			if !strings.Contains(o.Stderr, s) {
				diffs = append(diffs, fmt.Sprintf("stderr: want it to contain %q", s))
			}
		}
	}
	return diffs
}
