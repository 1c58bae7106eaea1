// Package rules loads Rulefiles (HCL) into a typed model and evaluates a
// rule's attributes for one job. It reports every user error as an
// hcl.Diagnostic with a source range. It knows nothing of graphs.
//
// Loading follows Terraform: each block is decoded against an explicit
// schema, so unknown blocks and attributes are errors (with "Did you
// mean"), and every rule is validated whether used or not: variables and
// functions are checked against what is in scope, {name} in input, log and
// benchmark literals against the outputs' wildcards, and attributes that do
// not depend on the job are evaluated once to check their types. output is
// evaluated at load time (config and functions only) and compiled into
// wildcard patterns; every other attribute stays an expression.
//
// Rule.Eval evaluates the rest per job, in the order input, log,
// benchmark, threads, resources, params, priority, retries, message,
// shell, script; each sees wildcards, output, config, rule and the
// variables of the attributes before it. Values that come from file names
// carry a cty mark, which survives indexing and function calls; the shell
// renderer walks the template itself and quotes exactly those values, so
// a file named $(rm -rf ~) stays a name while params are inserted as
// written. temp(), protected() and friends are marks too, collected into
// Path.Flags.
//
// Eval runs once per job, 100,000 times in a large workflow, so it does no
// more than each job needs, with results identical to evaluating every
// attribute through HCL:
//   - A constant input, log or benchmark (config and functions only) is
//     evaluated once at load time, as the load-time check does anyway;
//     per job its paths only get the wildcards substituted.
//   - The cty variables and the EvalContext are made on first use, each
//     variable from the job's Go values (wildcards, output, input, ...)
//     only when an expression is evaluated. The shell and message
//     renderers write bare ${input}, ${output}, ${log} and
//     ${wildcards.NAME} from the job directly, so a rule like
//     shell = "cat ${input} > ${output}" builds no cty value per job.
//   - glob_wildcards and checkpoint_output, which are made per job, are
//     added only for rules that call them.
//
// Diagnostics of Load, Parse and Eval render with Workflow.WriteDiagnostics
// (no colour, source snippets); Load and Parse return a non-nil Workflow
// even on errors for that purpose.
package rules

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/flowmake/flowmake/wildcard"
)

// Flags are the markers temp(), protected(), directory(), touch() and
// ancient() put on a path. They travel with the path through expressions.
type Flags uint8

const (
	Temp Flags = 1 << iota
	Protected
	Directory
	Touch
	Ancient
)

// Path is one file of a job or rule: a cleaned path (or pattern, in
// Rule.Outputs), the key it has in a named input/output object ("" when the
// attribute was a string or list), and its flags.
type Path struct {
	Name  string
	Path  string
	Flags Flags
}

// Workflow is a loaded Rulefile with its includes.
type Workflow struct {
	Files     []string  // the Rulefile, then included files, as given
	Config    cty.Value // merged config object (defaults, --configfile, --config)
	RuleOrder []string  // earlier wins
	// LocalRules are the rules named in localrules: with a batch
	// executor their jobs still run on the submitting machine.
	LocalRules  map[string]bool
	Constraints map[string]string // global wildcard constraints
	Rules       []*Rule           // in declaration order; Rules[0] is the default target
	ByName      map[string]*Rule

	sources map[string]*hcl.File // parsed files by name, for diagnostics
}

// Rule is one rule or checkpoint block. Outputs are evaluated at load time
// (they may use config and functions, never wildcards); every other
// attribute is kept as an expression and evaluated per job by Eval.
type Rule struct {
	Name       string
	Checkpoint bool
	DeclRange  hcl.Range           // the block header, for diagnostics
	Outputs    []Path              // Path holds the cleaned pattern text
	Patterns   []*wildcard.Pattern // compiled Outputs, same order, with constraints applied
	// Constraints are this rule's wildcard constraints merged over the
	// workflow's global ones.
	Constraints map[string]string
	HasShell    bool // shell attribute present
	// ShellSource is the shell template as written in the Rulefile, before
	// any value is put in: the rule's code, for the code rerun trigger.
	ShellSource string
	HasScript   bool // script attribute present

	// unexported: attribute expressions, their ranges, back pointer to workflow
	wf    *Workflow
	attrs map[string]*hcl.Attribute

	// The shape of output, to rebuild the output variable per job.
	outNamed  bool
	outOrder  []string
	outScalar map[string]bool
	outRanges []hcl.Range // per Outputs entry, for diagnostics
	names     []string    // wildcard names of the outputs, first use first

	// Precomputed at load time, for Eval's speed (see checkConstants):
	// input and log evaluated when they are constant, paths still
	// holding their {name} wildcards (nil: evaluate per job); benchmark
	// likewise ("" for null); the name as a cty value; and whether any
	// per-job attribute calls glob_wildcards or checkpoint_output, the
	// functions that are made per job.
	preIn, preLog *pathSet
	preBench      *string
	nameVal       cty.Value
	jobFuncs      bool
	// steps are the attributes of evalOrder the rule sets, in that
	// order: Eval walks them instead of looking each name up per job.
	steps []*hcl.Attribute
}

// CheckpointRef names one checkpoint job: the checkpoint rule and the
// wildcard values its outputs were requested with.
type CheckpointRef struct {
	Rule      string
	Wildcards map[string]string
}

// Env is what evaluation may consult beyond the Rulefile.
type Env struct {
	// Dir is the working directory that glob_wildcards and relative script
	// paths resolve against. "" means the process's working directory.
	Dir string
	// Cores clamps threads (a job never gets more threads than cores); 0 means no clamp.
	Cores int
	// ResourceCaps clamps numeric resources the same way (--resources
	// mem_mb=1000): a job asking for more gets the cap, with a warning.
	ResourceCaps map[string]int64
	// CheckpointDone reports whether the given checkpoint job has finished
	// (in this run, or up to date from an earlier one), so checkpoint_output
	// may return its outputs. nil means no checkpoint is done.
	CheckpointDone func(ref CheckpointRef) bool
}

// Job is a rule evaluated for one binding of its wildcards.
type Job struct {
	Rule      *Rule
	Wildcards map[string]string
	Inputs    []Path // in declaration order; a named input keeps its key in Path.Name
	Outputs   []Path
	Log       []Path
	Benchmark string
	Params    cty.Value // object (cty.EmptyObjectVal when absent)
	Threads   int       // >= 1, clamped to Env.Cores when set
	Resources map[string]int64
	// ResourceText holds resources whose value is not a whole number
	// (e.g. a SLURM partition name).
	ResourceText map[string]string
	Priority     int
	Retries      int
	Message      string // rendered, "" when absent
	Shell        string // rendered command with the contract's quoting, "" when absent
	Script       string // cleaned script path, "" when absent
	// Checkpoints are the checkpoint jobs this job's inputs called
	// checkpoint_output on. Their outputs are inputs of this job.
	Checkpoints []CheckpointRef
	// Pending is true when some checkpoint in Checkpoints is not done yet:
	// Inputs then hold only what could be known; the job must be evaluated
	// again after the checkpoint ran.
	Pending bool
	// InputShape, OutputShape and LogShape tell how a named input,
	// output or log was written, for scripts that see it as written
	// (nil when it was a string or a list).
	InputShape, OutputShape, LogShape *Shape
}
