package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
	"github.com/flowmake/flowmake/rules"
)

// dryRun prints every job that would run, with the reason, then a count
// per rule. The jobs come from the scheduler, which drives an
// exec.DryRun executor through a pretend plan as a real run drives its
// executor (checkpoints resolve nothing: the jobs after them are listed
// as waiting for them), and nothing is written, to the store or to the
// files. They are listed in the graph's order, a dependency order that
// does not change with priorities, so the listing reads as it always
// did. The listing is data: stdout.
func dryRun(o *options, g *dag.Graph) error {
	plan := dag.NewPretendPlan(g)
	if !plan.More() {
		fmt.Fprintln(o.stderr, "Nothing to be done.")
		return nil
	}
	listed := make([]bool, len(g.Jobs)) // by Job.ID
	n := 0
	ex := exec.DryRun{Job: func(j *dag.Job) {
		if !listed[j.ID] {
			listed[j.ID] = true
			n++
		}
	}}
	_, err := exec.Run(o.signals.ctx, plan, ex, exec.Options{
		Cores: 1, // a Pretender runs inline, one job at a time, anyway
		Dir:   o.directory,
		// The listing reads the job itself; a real spec (command, name,
		// capture path) for each of 100,000 jobs would be wasted.
		SpecFor: func(j *dag.Job) exec.Spec { return exec.Spec{Dir: o.directory} },
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return errInterrupted
		}
		return err
	}
	stale := make([]*dag.Job, 0, n)
	for _, j := range g.Jobs {
		if j.ID < len(listed) && listed[j.ID] {
			stale = append(stale, j)
		}
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

// writeJob prints one job the way Snakemake users read them. It writes
// strings, not Fprintf, for a listing of 100,000 jobs: formatting was a
// fifth of such a dry run.
func writeJob(w *bufio.Writer, j *dag.Job, withShell bool) {
	s := j.Spec
	if s.Rule.Checkpoint {
		w.WriteString("checkpoint ")
	} else {
		w.WriteString("rule ")
	}
	w.WriteString(s.Rule.Name)
	w.WriteString(":\n")
	writePaths(w, "    input: ", s.Inputs)
	writePaths(w, "    output: ", s.Outputs)
	writePaths(w, "    log: ", s.Log)
	if len(s.Wildcards) > 0 {
		w.WriteString("    wildcards: ")
		w.WriteString(dag.WildcardList(s.Wildcards))
		w.WriteByte('\n')
	}
	if s.Threads > 1 {
		w.WriteString("    threads: ")
		w.WriteString(strconv.Itoa(s.Threads))
		w.WriteByte('\n')
	}
	writeReason(w, j)
	if s.Message != "" {
		w.WriteString("    message: ")
		w.WriteString(s.Message)
		w.WriteByte('\n')
	}
	if withShell {
		switch {
		case s.Shell != "":
			fmt.Fprintf(w, "    shell:\n%s\n", indent(strings.TrimRight(s.Shell, "\n"), "        "))
		case s.Script != "":
			fmt.Fprintf(w, "    script: %s\n", s.Script)
		}
	}
	w.WriteByte('\n')
}

// writePaths writes "label" and the paths joined by ", " on one line;
// nothing when there are none.
func writePaths(w *bufio.Writer, label string, ps []rules.Path) {
	if len(ps) == 0 {
		return
	}
	w.WriteString(label)
	for i, p := range ps {
		if i > 0 {
			w.WriteString(", ")
		}
		w.WriteString(p.Path)
	}
	w.WriteByte('\n')
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
