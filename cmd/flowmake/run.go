package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/rules"
)

// run is the composition root: load, resolve, then one of the modes.
func run(o *options) error {
	metaDir := filepath.Join(o.directory, ".flowmake")
	if len(o.cleanupMeta) > 0 {
		return cleanupMetadata(o, metaDir)
	}
	wf, diags := rules.Load(o.rulefile, rules.Options{ConfigOverrides: o.config, ConfigFiles: o.configFiles})
	if len(diags) > 0 {
		writeDiagnostics(o, wf, diags)
		if diags.HasErrors() {
			return errReported
		}
	}
	if o.list {
		return listRules(o, wf)
	}
	triggers, err := meta.ParseTriggers(o.rerunTriggers)
	if err != nil {
		return usageError{fmt.Errorf("--rerun-triggers: %w", err)}
	}

	// Only a real run writes: it takes the lock first, so two runs never
	// judge staleness from the same store at once. Everything else reads.
	writes := !(o.dryRun || o.dagDOT || o.ruleGraph || o.fileGraph || o.summary || o.listChanges != "")
	if writes {
		lock, err := meta.Lock(metaDir)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	store, err := meta.Open(metaDir, meta.OpenOptions{ReadOnly: !writes, Version: version})
	var busy *meta.BusyError
	if !writes && errors.As(err, &busy) {
		// A run holds the store; bbolt lets no reader in meanwhile. Judge
		// by timestamps alone rather than wait for it.
		fmt.Fprintf(o.stderr, "flowmake: warning: %v; showing what timestamps alone say\n", err)
		store, err = meta.Empty(), nil
	}
	if err != nil {
		return err
	}
	defer store.Close()

	checker := meta.NewChecker(store, triggers, o.directory)
	g, err := dag.Build(wf, dag.Options{
		Targets:    o.targets,
		Stat:       dag.OSStat(o.directory),
		Env:        rules.Env{Dir: o.directory, Cores: o.cores},
		ForceAll:   o.forceAll,
		ForceRules: o.forceRules,
		Until:      o.until,
		Checker:    checker,
	})
	if err != nil {
		return buildError(o, wf, err)
	}
	// A store that fails while staleness is judged must stop the run:
	// going on would rerun or skip jobs on half the truth.
	if err := checker.Err(); err != nil {
		return err
	}

	switch {
	case o.dagDOT:
		return dag.WriteDAG(o.stdout, g)
	case o.ruleGraph:
		return dag.WriteRuleGraph(o.stdout, g)
	case o.fileGraph:
		return dag.WriteFileGraph(o.stdout, g)
	case o.summary:
		return writeSummary(o, g, store)
	case o.listChanges != "":
		return listChanges(o, g, store)
	case o.dryRun:
		return dryRun(o, g)
	case o.touch:
		return touchOutputs(o, g, store)
	}
	return execute(o, wf, g, store, checker)
}

// writeDiagnostics renders HCL diagnostics with their source snippets.
func writeDiagnostics(o *options, wf *rules.Workflow, diags hcl.Diagnostics) {
	wf.WriteDiagnostics(o.stderr, diags, 0)
}

// buildError prints what dag.Build found wrong and turns it into the
// error Main maps to an exit code.
func buildError(o *options, wf *rules.Workflow, err error) error {
	var ee *dag.EvalError
	if errors.As(err, &ee) {
		writeDiagnostics(o, wf, ee.Diags)
		needed := ""
		if len(ee.Chain) > 0 {
			needed = ", needed by " + dag.ChainString(ee.Chain)
		}
		fmt.Fprintf(o.stderr, "flowmake: could not evaluate rule %s%s\n", ee.Job, needed)
		return errReported
	}
	var ae *dag.AmbiguityError
	if errors.As(err, &ae) {
		writeDiagnostics(o, wf, ae.Diagnostics())
	}
	return err
}
