package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"

	"github.com/flowmake/flowmake/workdir"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// options are the command line, decoded. Field names follow the flags.
type options struct {
	targets []string

	cores       int
	dryRun      bool
	printShell  bool
	quiet       bool
	forceAll    bool
	forceRules  []string
	keepGoing   bool
	until       []string
	touch       bool
	dagDOT      bool
	ruleGraph   bool
	fileGraph   bool
	list        bool
	summary     bool
	jsonOut     bool
	listChanges string
	cleanupMeta []string

	// Snakemake habits (habits.go, delete.go, stats.go).
	reason, listTargetRules, unlock bool
	deleteAll, deleteTemp           bool
	statsFile                       string

	config      []string
	configFiles []string
	directory   string
	rulefile    string
	resources   []string
	caps        map[string]int64 // resources, parsed by validate
	maxJobs     int
	latencyWait float64
	grace       float64

	rerunIncomplete bool
	rerunTriggers   string
	executor        string
	cpuProfile      string
	memProfile      string
	profile         string // --profile DIR (see profile.go)

	// SLURM: --default-resources NAME=VALUE, parsed by validate, and
	// --max-jobs-per-second; threadCap clamps threads (-j for a local
	// run, none on a cluster, whose nodes have the cores).
	defaultResourceArgs []string
	defaultResources    map[string]string
	maxJobsPerSecond    float64
	slurmArraySize      int
	threadCap           int

	stdout, stderr io.Writer
	// signals: interrupt is done on the first SIGINT/SIGTERM once armed,
	// kill closed on the second.
	signals *signals
}

// Main runs flowmake with args and returns the exit code. It is main
// without os.Exit, so tests can call it with buffers.
func Main(args []string, stdout, stderr io.Writer) int {
	sig := notifySignals(stderr)
	defer sig.stop()
	opts := &options{stdout: stdout, stderr: stderr, signals: sig}
	cmd := newRootCmd(opts)
	if !addSubcommands(cmd, args, stdout, stderr) {
		// Rule lists are the root's options; a subcommand parses its own.
		spread, err := spreadRuleLists(args, cmd)
		if err != nil {
			return exitCode(err, stderr)
		}
		args = spread
	}
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.Execute()
	if err != nil && !isRunError(err) {
		// cobra's own errors (unknown flag, bad value) are usage errors.
		err = usageError{err}
	}
	return exitCode(unwrapRunError(err), stderr)
}

// runError wraps errors from our run function, so Main can tell them from
// cobra's flag-parsing errors.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }

func isRunError(err error) bool {
	var re runError
	return errors.As(err, &re)
}

func unwrapRunError(err error) error {
	var re runError
	if errors.As(err, &re) {
		return re.err
	}
	return err
}

func newRootCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flowmake [TARGET...]",
		Short: "Run file-based workflows described in a Rulefile",
		Long: `flowmake builds TARGETs (file paths or rule names; by default the first rule
of the Rulefile) by running the jobs whose outputs are missing or out of date,
in dependency order, on -j parallel workers.

Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.targets = args
			if err := applyProfile(cmd, o); err != nil {
				return runError{err}
			}
			if err := o.validate(); err != nil {
				return runError{err}
			}
			if o.cpuProfile != "" {
				f, err := os.Create(o.cpuProfile)
				if err != nil {
					return runError{err}
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return runError{err}
				}
				defer pprof.StopCPUProfile()
			}
			if err := run(o); err != nil {
				return runError{err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.SortFlags = false
	addCoresFlags(f, o)
	f.BoolVarP(&o.dryRun, "dry-run", "n", false, "show what would run, and why, without running anything")
	f.BoolVarP(&o.printShell, "printshellcmds", "p", false, "print the shell command of each job")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only failures and the final summary")
	f.BoolVarP(&o.forceAll, "forceall", "F", false, "run every job the targets need, up to date or not")
	f.StringSliceVarP(&o.forceRules, "forcerun", "R", nil, "run the jobs of these rules and everything downstream: the words up to the next option (or comma-separated, or repeated)")
	f.BoolVarP(&o.keepGoing, "keep-going", "k", false, "after a failure, go on with jobs that do not depend on it")
	f.StringSliceVarP(&o.until, "until", "U", nil, "run only the jobs of these rules and the jobs they need: the words up to the next option")
	f.BoolVar(&o.touch, "touch", false, "mark stale outputs up to date (touch those that exist) instead of running jobs")
	f.BoolVar(&o.dagDOT, "dag", false, "print the job graph as DOT (stale jobs solid, up-to-date dashed)")
	f.BoolVar(&o.ruleGraph, "rulegraph", false, "print the graph of rules as DOT")
	f.BoolVar(&o.fileGraph, "filegraph", false, "print the job graph with each job's files as DOT")
	f.BoolVar(&o.list, "list", false, "list the rules with their outputs")
	f.BoolVar(&o.summary, "summary", false, "one row per output of the targets' graph: path, modified, rule, state")
	f.BoolVar(&o.jsonOut, "json", false, "with --summary: print JSON")
	f.StringVar(&o.listChanges, "list-changes", "", "list outputs whose jobs changed since they were made: code, params or input")
	f.StringSliceVar(&o.cleanupMeta, "cleanup-metadata", nil, "forget the recorded metadata of these outputs and exit")
	f.StringArrayVar(&o.config, "config", nil, "override config values: KEY=VALUE..., the words up to the next option (VALUE is read as Snakemake does: number, True/False, YAML, else text)")
	f.StringArrayVar(&o.configFiles, "configfile", nil, "merge a JSON or YAML config file over the config block (repeatable)")
	f.StringVarP(&o.directory, "directory", "C", "", "working directory of the workflow (default: current directory)")
	f.StringVarP(&o.rulefile, "rulefile", "s", "", "the Rulefile (default: Rulefile in the working directory)")
	f.StringArrayVar(&o.resources, "resources", nil, "cap a resource over all running jobs, and per job: NAME=N (repeatable)")
	f.IntVar(&o.maxJobs, "max-jobs", dag.DefaultMaxJobs, "stop resolution when the graph grows past N jobs (a runaway rule)")
	f.Float64Var(&o.latencyWait, "latency-wait", 5, "seconds to wait for a job's outputs to appear (slow shared filesystems)")
	f.Float64Var(&o.grace, "grace", 5, "seconds interrupted jobs get between SIGTERM and SIGKILL")
	f.BoolVar(&o.rerunIncomplete, "rerun-incomplete", false, "rerun jobs left incomplete by an interrupted run (always done; accepted for Snakemake habits)")
	f.StringVar(&o.rerunTriggers, "rerun-triggers", "mtime,params,input,code", "what makes a job with existing outputs stale: mtime,params,input,code[,content]")
	f.StringVar(&o.executor, "executor", "local", "where jobs run: local or slurm (then -j N caps the jobs submitted at once)")
	f.StringArrayVar(&o.defaultResourceArgs, "default-resources", nil, "with --executor slurm: NAME=VALUE... for jobs whose rule does not set NAME (mem_mb, runtime, slurm_partition, slurm_account, slurm_extra), the words up to the next option")
	f.Float64Var(&o.maxJobsPerSecond, "max-jobs-per-second", 0, "with --executor slurm: at most N sbatch calls per second (default: no limit)")
	f.IntVar(&o.slurmArraySize, "slurm-array-size", 0, "with --executor slurm: submit ready jobs of one rule with the same resources as job arrays of up to N tasks (0 or 1: one sbatch per job)")
	f.StringVar(&o.profile, "profile", "", "read default values for flags from DIR/config.yaml (a bare NAME: ~/.config/flowmake/NAME, /etc/xdg/flowmake/NAME); default: $"+profileEnv)
	addHabitFlags(f, o)
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to FILE (for flowmake's developers)")
	f.MarkHidden("cpuprofile")
	f.StringVar(&o.memProfile, "memprofile", "", "write a Go heap profile to FILE once the graph is resolved (for flowmake's developers)")
	f.MarkHidden("memprofile")
	return cmd
}

func (o *options) validate() error {
	if o.cores < 0 {
		return usagef("-c/--cores (-j) must be at least 1, got %d", o.cores)
	}
	if o.cores == 0 {
		o.cores = runtime.NumCPU()
	}
	if o.latencyWait < 0 || o.grace < 0 {
		return usagef("--latency-wait and --grace take seconds >= 0")
	}
	for _, kv := range o.config {
		if _, _, err := rules.SplitOverride(kv); err != nil {
			return usageError{err}
		}
	}
	caps, err := o.resourceCaps()
	if err != nil {
		return err
	}
	o.caps = caps
	modes := 0
	for _, on := range []bool{o.dagDOT, o.ruleGraph, o.fileGraph, o.list, o.summary, o.listChanges != "", len(o.cleanupMeta) > 0} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usagef("--dag, --rulegraph, --filegraph, --list, --summary, --list-changes and --cleanup-metadata exclude each other")
	}
	if err := o.validateHabits(); err != nil {
		return err
	}
	if o.jsonOut && !o.summary {
		return usagef("--json goes with --summary")
	}
	switch o.listChanges {
	case "", "code", "params", "input":
	default:
		return usagef("--list-changes takes code, params or input, not %q", o.listChanges)
	}
	o.threadCap = o.cores
	switch o.executor {
	case "local":
	case "slurm":
		o.threadCap = 0
	default:
		return usagef("--executor takes local or slurm, not %q", o.executor)
	}
	if o.maxJobsPerSecond < 0 {
		return usagef("--max-jobs-per-second takes a number >= 0")
	}
	if o.slurmArraySize < 0 {
		return usagef("--slurm-array-size takes a number >= 0")
	}
	o.defaultResources = map[string]string{}
	for _, kv := range o.defaultResourceArgs {
		name, val, ok := strings.Cut(kv, "=")
		if name = strings.TrimSpace(name); !ok || name == "" {
			return usagef("--default-resources %q: want NAME=VALUE", kv)
		}
		o.defaultResources[name] = strings.TrimSpace(val)
	}
	if o.directory == "" {
		o.directory = "."
	}
	given := o.directory
	dir, err := filepath.Abs(o.directory)
	if err != nil {
		return usagef("-C %s: %v", o.directory, err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("-C %s: not a directory", o.directory)
	}
	o.directory = dir
	if o.rulefile == "" {
		// Spelled as the user would, so diagnostics say "Rulefile:3:5".
		o.rulefile = filepath.Join(given, "Rulefile")
	}
	return nil
}

// resourceCaps parses --resources NAME=N.
func (o *options) resourceCaps() (map[string]int64, error) {
	caps := map[string]int64{}
	for _, kv := range o.resources {
		name, val, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if !ok || name == "" || err != nil || n < 0 {
			return nil, usagef("--resources %q: want NAME=N with a whole number N >= 0", kv)
		}
		caps[strings.TrimSpace(name)] = n
	}
	return caps, nil
}

// ruleListFlags are the options that take several words the way
// Snakemake's do (argparse's nargs): every word after the option up to the
// next one. The value is the least number of words: --until is nargs="+",
// -R and --config nargs="*".
var ruleListFlags = map[string]int{"forcerun": 0, "until": 1, "config": 0, "default-resources": 0}

// spreadRuleLists rewrites "-R a b c" as "--forcerun=a --forcerun=b
// --forcerun=c" (and so --until and --config) before cobra, which takes
// one value per flag, parses the command line. A value attached to the
// option (--forcerun=a,b, -Ra) is its only one, as in argparse; words
// after "--" are always targets. -R with no words forces nothing.
func spreadRuleLists(args []string, cmd *cobra.Command) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		name, cluster := ruleListFlag(a, cmd)
		if name == "" {
			out = append(out, a)
			continue
		}
		if cluster != "" {
			out = append(out, cluster) // -nR: the -n before the R
		}
		n := 0
		for i+1 < len(args) && !isOption(args[i+1]) {
			i++
			n++
			out = append(out, "--"+name+"="+args[i])
		}
		if n < ruleListFlags[name] {
			return nil, usagef("--%s needs at least one rule name", name)
		}
	}
	return out, nil
}

// ruleListFlag reports which rule-list option a is, written alone
// (--forcerun, -R) or last in a cluster of boolean short options (-nR,
// whose "-n" comes back as cluster); "" when it is none.
func ruleListFlag(a string, cmd *cobra.Command) (name, cluster string) {
	fs := cmd.Flags()
	if strings.HasPrefix(a, "--") {
		if n := a[2:]; hasKey(ruleListFlags, n) {
			return n, ""
		}
		return "", ""
	}
	if len(a) < 2 || a[0] != '-' || strings.Contains(a, "=") {
		return "", ""
	}
	last := fs.ShorthandLookup(a[len(a)-1:])
	if last == nil || !hasKey(ruleListFlags, last.Name) {
		return "", ""
	}
	for _, c := range a[1 : len(a)-1] {
		if f := fs.ShorthandLookup(string(c)); f == nil || f.Value.Type() != "bool" {
			return "", "" // -Rx or -jR: a value attached, cobra's to read
		}
	}
	if len(a) > 2 {
		cluster = a[:len(a)-1]
	}
	return last.Name, cluster
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// isOption tells an option from a word: "-" alone is a word (stdin).
func isOption(w string) bool { return len(w) > 1 && w[0] == '-' }

// path resolves a job path (relative to the workflow's working directory)
// for the OS, as workdir.Dir does for every layer.
func (o *options) path(p string) string { return workdir.Dir(o.directory).Path(p) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
