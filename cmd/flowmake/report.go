package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/report"
)

// reportOptions are flowmake report's command line.
type reportOptions struct {
	output    string
	run       string
	list      bool
	directory string
	rulefile  string // accepted as by fmt and lint; the history is the directory's

	stdout, stderr io.Writer
}

func newReportCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &reportOptions{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "report [-o FILE] [--run ID] [--list] [-C DIR]",
		Short: "Write an HTML report of a run from the run history",
		Long: `report writes one self-contained HTML file (it opens offline) about a run of
the workflow in the working directory (-C): its summary, the rule graph, a
timeline of the jobs per worker slot, per-rule runtime, RSS and CPU, the
failed jobs with their log tails, and each job's inputs and outputs.

The run is the newest one of the history in .flowmake/, or --run ID (a
unique start of an id will do); --list prints the kept runs instead. -o -
writes the HTML to stdout.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := runReport(o); err != nil {
				return runError{err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "report.html", "write the report to `FILE` (relative to the current directory; - for stdout)")
	f.StringVar(&o.run, "run", "", "report the run of this `ID` (default: the newest)")
	f.BoolVar(&o.list, "list", false, "print the runs in the history (id, start, wall time, jobs, failed) instead")
	f.StringVarP(&o.directory, "directory", "C", "", "working directory of the workflow (default: current directory)")
	// -s is taken as fmt and lint take it, so one command line serves all
	// subcommands; the history belongs to the working directory, not to a
	// Rulefile, so it changes nothing.
	f.StringVarP(&o.rulefile, "rulefile", "s", "", "accepted for symmetry with the other subcommands; the history is the working directory's")
	_ = f.MarkHidden("rulefile")
	return cmd
}

func runReport(o *reportOptions) error {
	dir := o.directory
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("-C %s: not a directory", dir)
	}
	metaDir := filepath.Join(dir, ".flowmake")
	store, err := meta.Open(metaDir, meta.OpenOptions{ReadOnly: true, Version: version})
	if err != nil {
		return err
	}
	defer store.Close()
	if o.list {
		return listRuns(o, store, metaDir)
	}
	r, err := store.LoadRun(o.run)
	if err != nil {
		if errors.Is(err, meta.ErrNoRun) && o.run == "" {
			return noHistory(metaDir)
		}
		return err
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, r, report.Options{}); err != nil {
		return fmt.Errorf("report of run %s: %w", r.ID, err)
	}
	if o.output == "-" {
		_, err := o.stdout.Write(buf.Bytes())
		return err
	}
	if err := replaceFile(o.output, buf.Bytes(), 0o644); err != nil { // a report is for others to read
		return fmt.Errorf("write the report: %w", err)
	}
	fmt.Fprintf(o.stderr, "Wrote %s: run %s, %d jobs, %d failed.\n", o.output, r.ID, r.Total, r.Failed)
	return nil
}

func noHistory(metaDir string) error {
	if abs, err := filepath.Abs(metaDir); err == nil {
		metaDir = abs
	}
	return fmt.Errorf("no run in the history of %s: run the workflow first (a real run, not -n, records one)", metaDir)
}

// listRuns prints the kept runs, newest first: data, to stdout.
func listRuns(o *reportOptions, store *meta.Store, metaDir string) error {
	runs, err := store.Runs()
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return noHistory(metaDir)
	}
	tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tWALL\tJOBS\tFAILED\tTARGETS")
	for _, r := range runs {
		note := ""
		if r.Interrupted {
			note = " (interrupted)"
		}
		wall := r.End.Sub(r.Start)
		if wall >= time.Second {
			wall = wall.Round(100 * time.Millisecond)
		} else {
			wall = wall.Round(time.Millisecond)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s%s\n", r.ID, r.Start.Format("2006-01-02 15:04:05"),
			wall, r.Total, r.Failed, strings.Join(r.Targets, " "), note)
	}
	return tw.Flush()
}
