package main

// Flags a Snakemake user types by habit: -c/--cores all, --unlock,
// --list-target-rules, -r/--reason. --delete-*-output is in delete.go,
// --stats in stats.go.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/rules"
)

// coresValue is -c/--cores: a whole number, or "all" for the number of
// CPUs, as in Snakemake.
type coresValue struct{ n *int }

func (v coresValue) String() string { return strconv.Itoa(*v.n) }
func (v coresValue) Type() string   { return "int" }
func (v coresValue) Set(s string) error {
	if s == "all" {
		*v.n = runtime.NumCPU()
		return nil
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("value out of range: want a whole number or all, got %q", s)
	}
	if err != nil {
		return fmt.Errorf("want a whole number or all, got %q", s)
	}
	*v.n = n
	return nil
}

// jobsValue is -j/--jobs, which sets --cores (Snakemake: "for local
// execution this is an alias for --cores"). It goes through the flag set,
// so --cores counts as given and a profile does not override it.
type jobsValue struct{ fs *pflag.FlagSet }

func (v jobsValue) String() string { return "0" }
func (v jobsValue) Type() string   { return "int" }
func (v jobsValue) Set(s string) error {
	var n int
	if err := (coresValue{&n}).Set(s); err != nil {
		return err // said once, for -j
	}
	return v.fs.Set("cores", s)
}

// addCoresFlags registers -c/--cores and -j/--jobs.
func addCoresFlags(f *pflag.FlagSet, o *options) {
	f.VarP(coresValue{&o.cores}, "cores", "c", "run at most `N` jobs (thread slots) at once, or all: the number of CPUs (default)")
	f.VarP(jobsValue{f}, "jobs", "j", "the same as --cores `N`; with --executor slurm, the jobs submitted at once")
}

// addHabitFlags registers the other flags of this file, delete.go and
// stats.go.
func addHabitFlags(f *pflag.FlagSet, o *options) {
	f.BoolVarP(&o.reason, "reason", "r", false, "print why each job runs, as -n does (a dry run always does)")
	f.BoolVar(&o.listTargetRules, "list-target-rules", false, "list the rules without wildcards, which can be targets by name")
	f.BoolVar(&o.unlock, "unlock", false, "say that flowmake's lock never strands, and exit")
	f.BoolVar(&o.deleteAll, "delete-all-output", false, "delete the outputs of the targets' graph that flowmake made, by its metadata (with -n: list them)")
	f.BoolVar(&o.deleteTemp, "delete-temp-output", false, "delete the temp() outputs of the targets' graph that flowmake made (with -n: list them)")
	f.StringVar(&o.statsFile, "stats", "", "write the run's per-job figures to `FILE` as JSON")
}

// validateHabits checks the flags of this file against each other.
func (o *options) validateHabits() error {
	modes := 0
	for _, on := range []bool{o.unlock, o.listTargetRules, o.deleteAll, o.deleteTemp} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usagef("--unlock, --list-target-rules, --delete-all-output and --delete-temp-output exclude each other")
	}
	if modes == 1 && (o.dagDOT || o.ruleGraph || o.fileGraph || o.list || o.summary || o.listChanges != "" || len(o.cleanupMeta) > 0 || o.touch) {
		return usagef("--unlock, --list-target-rules and --delete-*-output do not go with --dag, --rulegraph, --filegraph, --list, --summary, --list-changes, --cleanup-metadata or --touch")
	}
	return nil
}

// unlock answers --unlock. Snakemake's lock is a pair of files a killed
// run leaves behind; flowmake's is a flock(2) on .flowmake/lock, which the
// kernel drops when its holder exits however it exits (see meta.Lock), so
// there is nothing to remove. A lock held now belongs to a live run, and
// unlocking it would let two runs write at once: that is said, not done.
func unlock(o *options, metaDir string) error {
	const never = "flowmake's lock is an flock(2) on .flowmake/lock that the kernel drops when its holder exits, however it exits, so it never strands"
	if _, err := os.Stat(filepath.Join(metaDir, meta.LockName)); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(o.stderr, "Nothing to unlock: %s.\n", never)
		return nil
	}
	lock, err := meta.Lock(metaDir)
	var le *meta.LockedError
	switch {
	case errors.As(err, &le):
		fmt.Fprintf(o.stderr, "Not unlocked: a running flowmake holds the lock (%v); %s, and this one is released when that run ends.\n", le, never)
		return nil
	case err != nil:
		return err
	}
	if err := lock.Release(); err != nil {
		return err
	}
	fmt.Fprintf(o.stderr, "Nothing to unlock: %s.\n", never)
	return nil
}

// listTargetRules prints the rules without wildcards, one per line, as
// snakemake --list-target-rules does.
func listTargetRules(o *options, wf *rules.Workflow) error {
	for _, r := range wf.Rules {
		if len(r.Wildcards()) == 0 {
			fmt.Fprintln(o.stdout, r.Name)
		}
	}
	return nil
}

// writeReason is the "reason:" line of a job in the dry-run listing
// (exec.Printer writes the same line under a started job with -r).
func writeReason(w io.StringWriter, j *dag.Job) {
	// Not Fprintf: a dry run of a million jobs writes a million of these.
	head, path := j.Reason.Parts()
	w.WriteString("    reason: ")
	w.WriteString(head)
	w.WriteString(path)
	w.WriteString("\n")
}

// habitStatus wraps the run's status for --stats. (-r's reason lines
// are the status's own: progress prints them with the job's start line,
// in one write, above the bar.)
func habitStatus(o *options, st exec.Status, stats *statsRecorder) exec.Status {
	if stats != nil {
		stats.Status = st
		st = stats
	}
	return st
}
