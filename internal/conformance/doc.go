// Package conformance owns flowmake's Snakemake conformance suite: the case
// format under testdata/conformance/, the one implementation of what a step
// does (lay out files with controlled mtimes, run a tool, touch, delete,
// write, edit), the snapshot of what a step shows (exit class, jobs that ran,
// files and their contents), and the comparison with what Snakemake 7.21
// showed when the case was recorded.
//
// A case is a directory holding a Rulefile, the equivalent Snakefile,
// case.yaml (the initial files and the steps) and expected.yaml (recorded by
// ./internal/conformance/record under snakemake, never written by hand).
// Every other file in the directory (scripts, included rule files) is laid
// out for both tools, except the other tool's rule files (*.hcl for
// Snakemake, *.smk for flowmake).
//
// Which jobs ran is read from a journal: every job's command appends one
// line naming the job ("count sample=a") to the file named by $JOURNAL,
// which the harness keeps outside the working directory and clears before
// each step. For a dry run (-n) the jobs are read from the tool's listing
// instead, as "rule key=value ...", keys sorted.
//
// The recorder and the replayer (cmd/flowmake/conformance_test.go) both go
// through Play, so both lay out a case and apply its steps identically.
package conformance
