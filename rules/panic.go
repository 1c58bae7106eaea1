package rules

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// BugReports is where a user reports an internal error.
const BugReports = "https://github.com/flowmake/flowmake/issues"

// recoverEval, deferred by Eval, turns a panic while evaluating a job into
// an error diagnostic. Eval runs on dag's worker goroutines, where a panic
// would end the process with a goroutine dump before main could recover
// it; bad input must never do that, and a bug should still be reported.
func recoverEval(r *Rule, wildcards map[string]string, job **Job, diags *hcl.Diagnostics) {
	p := recover()
	if p == nil {
		return
	}
	*job = nil
	*diags = append(*diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Internal error",
		Detail: fmt.Sprintf("flowmake failed while evaluating %s: %v. This is a bug in flowmake, not in your Rulefile: please report it at %s with the Rulefile and the command you ran.",
			JobName(r.Name, wildcards, Ruled), p, BugReports),
		Subject: r.DeclRange.Ptr(),
	})
}
