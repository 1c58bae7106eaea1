package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"

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
	if o.unlock {
		return unlock(o, metaDir)
	}
	wf, diags := rules.Load(o.rulefile, rules.Options{ConfigOverrides: o.config, ConfigFiles: o.configFiles, Dir: o.directory})
	if len(diags) > 0 {
		writeDiagnostics(o, wf, diags)
		if diags.HasErrors() {
			return errReported
		}
	}
	if o.list {
		return listRules(o, wf)
	}
	if o.listTargetRules {
		return listTargetRules(o, wf)
	}
	if err := checkRuleNames(wf, "-R/--forcerun", o.forceRules); err != nil {
		return err
	}
	if err := checkRuleNames(wf, "--until", o.until); err != nil {
		return err
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
	g, resolver, err := dag.Resolve(wf, dag.Options{
		Targets:    buildTargets(wf, o),
		Stat:       dag.OSStat(o.directory),
		Env:        rules.Env{Dir: o.directory, Cores: o.threadCap, ResourceCaps: o.caps},
		ForceAll:   o.forceAll,
		ForceRules: o.forceRules,
		Until:      o.until,
		Checker:    checker,
		Context:    o.signals.ctx,
		MaxJobs:    o.maxJobs,
	})
	if err != nil {
		return buildError(o, wf, err)
	}
	// A store that fails while staleness is judged must stop the run:
	// going on would rerun or skip jobs on half the truth.
	if err := checker.Err(); err != nil {
		return err
	}
	writeWarnings(o, wf, g.Warnings)
	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			return err
		}
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
	case o.deleteAll || o.deleteTemp:
		return deleteOutputs(o, g, store)
	case o.dryRun:
		return dryRun(o, g)
	case o.touch:
		return touchOutputs(o, g, store)
	}
	return execute(o, wf, g, resolver, store, checker)
}

// checkRuleNames makes an unknown rule name given to -R or --until a
// usage error, with the closest rule name.
func checkRuleNames(wf *rules.Workflow, flag string, names []string) error {
	for _, n := range names {
		if wf.ByName[n] != nil {
			continue
		}
		hint := ""
		all := make([]string, len(wf.Rules))
		for i, r := range wf.Rules {
			all[i] = r.Name
		}
		if s := dag.Closest(n, all); s != "" {
			hint = "; did you mean " + s + "?"
		}
		return usagef("%s %s: no such rule%s (%s takes rule names, up to the next option; put targets before it or after --)", flag, n, hint, flag)
	}
	return nil
}

// buildTargets is what the graph is resolved for: the targets given (else
// the first rule), and, as in Snakemake, every rule without wildcards
// named by -R or --until, so "-R report" runs report even when the
// default target does not need it.
func buildTargets(wf *rules.Workflow, o *options) []string {
	var extra []string
	for _, n := range slices.Concat(o.forceRules, o.until) {
		if r := wf.ByName[n]; r != nil && len(r.Wildcards()) == 0 {
			extra = append(extra, n)
		}
	}
	if len(extra) == 0 {
		return o.targets
	}
	targets := slices.Clone(o.targets)
	if len(targets) == 0 && len(wf.Rules) > 0 {
		targets = []string{wf.Rules[0].Name}
	}
	for _, n := range extra {
		if !slices.Contains(targets, n) {
			targets = append(targets, n)
		}
	}
	return targets
}

// writeWarnings prints the warnings of rule evaluation, each once: the
// jobs of one rule give the same warning at the same place.
func writeWarnings(o *options, wf *rules.Workflow, diags hcl.Diagnostics) {
	seen := map[string]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		k := d.Summary
		if d.Subject != nil {
			k += "\x00" + d.Subject.String()
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	if len(out) > 0 {
		writeDiagnostics(o, wf, out)
	}
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
		// The diagnostics name the job ("In rule map (sample=b)."); what
		// needed it goes into that sentence, not into a second message.
		if len(ee.Chain) > 0 {
			for _, d := range ee.Diags {
				if d.Severity == hcl.DiagError && strings.HasSuffix(d.Detail, ".") {
					d.Detail = d.Detail[:len(d.Detail)-1] + ", needed by " + dag.ChainString(ee.Chain) + "."
				}
			}
		}
		writeDiagnostics(o, wf, ee.Diags)
		return errReported
	}
	if errors.Is(err, context.Canceled) {
		return errInterrupted
	}
	var ae *dag.AmbiguityError
	if errors.As(err, &ae) {
		// One diagnostic says it all; the error is not printed again.
		writeDiagnostics(o, wf, ae.Diagnostics())
		return errReported
	}
	return err
}

// writeHeapProfile writes the live heap, after a GC, to file: called with
// the graph resolved, it shows what a big graph keeps (and, as
// alloc_space, what resolving it allocated).
func writeHeapProfile(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
