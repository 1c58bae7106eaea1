package meta

import "time"

// Run is one invocation of flowmake that ran jobs, as the run history
// keeps it: what was asked, where, and how each job went. The history
// holds the last few runs (a bound, oldest dropped first); `flowmake
// report` renders one, and the scheduler's ETA and critical-path weights
// come from the rules' mean durations in it.
type Run struct {
	ID          string // sortable and unique: "20261201-150405-3f9a2c" (NewRunID)
	Start, End  time.Time
	Version     string   // flowmake's
	Args        []string // the command line after the program name
	Targets     []string // as resolved: the files or rules asked for
	Dir         string   // the working directory, absolute
	Host        string
	Executor    string // local, slurm
	Cores       int
	Total       int // jobs in the plan
	Done        int
	Failed      int
	Skipped     int
	Interrupted bool
	// Rules and RuleEdges are the rule graph of the targets' jobs, up to
	// date ones included, as --rulegraph draws it: an edge {A, B} says a
	// job of B needed an output of a job of A.
	Rules     []string
	RuleEdges [][2]string
	// Jobs are the jobs the run planned: the finished ones in the order
	// they ended, then the skipped ones. Runs leaves them nil.
	Jobs []JobRun
}

// JobRun is one job of a run. A job that never started (a dependency
// failed, the run stopped first) has zero Start and End and Status
// "skipped".
type JobRun struct {
	Rule      string
	Wildcards map[string]string
	Inputs    []string
	Outputs   []string
	Logs      []string
	Capture   string // flowmake's copy of its stdout and stderr, under .flowmake/log/
	Status    string // ok, failed, interrupted, skipped
	Start     time.Time
	End       time.Time
	ExitCode  int
	Signal    int
	Error     string
	Attempts  int
	UserCPU   time.Duration
	SysCPU    time.Duration
	MaxRSS    int64 // bytes
	Host      string
	Executor  string
	// LogTail is the last lines of a failed job's logs and captured
	// output, kept with the run because the next run overwrites them:
	// up to 20 lines a file, each under a "==> FILE <==" heading, 8 KiB
	// at most in all.
	LogTail string
}
