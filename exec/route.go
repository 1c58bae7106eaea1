package exec

import "context"

// Route runs each job on one of two executors: Local when IsLocal says so,
// else Remote. It is how localrules work with a batch executor: the jobs of
// those rules (an "all" that only gathers, a quick plot) run on the
// submitting machine instead of waiting in the cluster's queue, as in
// Snakemake. A nil IsLocal sends everything to Remote.
type Route struct {
	Local, Remote Executor
	IsLocal       func(Spec) bool
}

// Run implements Executor.
func (r Route) Run(ctx context.Context, spec Spec) Result {
	if r.IsLocal != nil && r.IsLocal(spec) {
		return r.Local.Run(ctx, spec)
	}
	return r.Remote.Run(ctx, spec)
}

// RuleIn is an IsLocal for Route: true for the jobs of the named rules.
func RuleIn(rules map[string]bool) func(Spec) bool {
	return func(s Spec) bool { return rules[s.Rule] }
}
