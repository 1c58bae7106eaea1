package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
)

// dryRun prints every job that would run, in an order it could run in,
// with the reason, then a count per rule. The listing is data: stdout.
func dryRun(o *options, g *dag.Graph) error {
	stale := staleJobs(g)
	if len(stale) == 0 {
		fmt.Fprintln(o.stderr, "Nothing to be done.")
		return nil
	}
	// Buffered: a listing of 100,000 jobs is half a million lines.
	w := bufio.NewWriterSize(o.stdout, 64<<10)
	for _, j := range stale {
		writeJob(w, j, o.printShell)
	}
	writeJobStats(w, stale)
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(o.stderr, "This was a dry run (-n): %d %s would run.\n", len(stale), plural(len(stale), "job", "jobs"))
	return nil
}

func staleJobs(g *dag.Graph) []*dag.Job {
	var out []*dag.Job
	for _, j := range g.Jobs {
		if j.Stale {
			out = append(out, j)
		}
	}
	return out
}

// writeJob prints one job the way Snakemake users read them.
func writeJob(w io.Writer, j *dag.Job, withShell bool) {
	s := j.Spec
	kind := "rule"
	if s.Rule.Checkpoint {
		kind = "checkpoint"
	}
	fmt.Fprintf(w, "%s %s:\n", kind, s.Rule.Name)
	if len(s.Inputs) > 0 {
		fmt.Fprintf(w, "    input: %s\n", joinPaths(s.Inputs))
	}
	if len(s.Outputs) > 0 {
		fmt.Fprintf(w, "    output: %s\n", joinPaths(s.Outputs))
	}
	if len(s.Log) > 0 {
		fmt.Fprintf(w, "    log: %s\n", joinPaths(s.Log))
	}
	if len(s.Wildcards) > 0 {
		fmt.Fprintf(w, "    wildcards: %s\n", dag.WildcardList(s.Wildcards))
	}
	if s.Threads > 1 {
		fmt.Fprintf(w, "    threads: %d\n", s.Threads)
	}
	writeReason(w, j)
	if s.Message != "" {
		fmt.Fprintf(w, "    message: %s\n", s.Message)
	}
	if withShell {
		switch {
		case s.Shell != "":
			fmt.Fprintf(w, "    shell:\n%s\n", indent(strings.TrimRight(s.Shell, "\n"), "        "))
		case s.Script != "":
			fmt.Fprintf(w, "    script: %s\n", s.Script)
		}
	}
	fmt.Fprintln(w)
}

// writeJobStats prints the per-rule job counts.
func writeJobStats(w io.Writer, jobs []*dag.Job) {
	counts := map[string]int{}
	width := len("total")
	for _, j := range jobs {
		name := j.Spec.Rule.Name
		counts[name]++
		width = max(width, len(name))
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Job stats:")
	fmt.Fprintf(w, "%-*s  %5s\n", width, "rule", "count")
	fmt.Fprintf(w, "%s  %s\n", strings.Repeat("-", width), strings.Repeat("-", 5))
	for _, n := range names {
		fmt.Fprintf(w, "%-*s  %5d\n", width, n, counts[n])
	}
	fmt.Fprintf(w, "%-*s  %5d\n", width, "total", len(jobs))
}

func joinPaths(ps []rules.Path) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Path
	}
	return strings.Join(s, ", ")
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// listRules prints each rule with its outputs (--list).
func listRules(o *options, wf *rules.Workflow) error {
	tw := tabwriter.NewWriter(o.stdout, 0, 0, 2, ' ', 0)
	for _, r := range wf.Rules {
		name := r.Name
		if r.Checkpoint {
			name += " (checkpoint)"
		}
		outs := make([]string, len(r.Outputs))
		for i, p := range r.Outputs {
			outs[i] = p.Path
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, strings.Join(outs, " "))
	}
	return tw.Flush()
}
