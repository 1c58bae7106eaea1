package dag

import (
	"strconv"

	"github.com/flowmake/flowmake/rules"
)

// String describes the reason as the dry run shows it.
func (r Reason) String() string {
	head, path := r.Parts()
	return head + path
}

// Parts is String in two pieces, the words and the path they name, so a
// listing of a million reasons writes them without joining each.
func (r Reason) Parts() (head, path string) {
	switch r.Kind {
	case UpToDate:
		return "up to date", ""
	case MissingOutput:
		return "missing output: ", r.Path
	case InputNewer:
		return "input newer: ", r.Path
	case Forced:
		return "forced", ""
	case UpstreamChanged:
		return "upstream changed: ", r.Path
	case Incomplete:
		return "incomplete (interrupted run): ", r.Path
	case CodeChanged:
		return "code changed", ""
	case ParamsChanged:
		return "params changed", ""
	case InputListChanged:
		if r.Path == "" {
			return "input list changed", ""
		}
		return "input list changed: ", r.Path
	case PendingCheckpoint:
		return "waits for checkpoint ", r.Path
	case NoOutputs:
		return "no output files (always runs)", ""
	}
	return "reason " + strconv.Itoa(int(r.Kind)), ""
}

// String names the job as messages show it: rules.JobName in the Plain
// form, "align (sample=A, unit=1)", which is also Job.Key.
func (j *Job) String() string {
	if j.Key != "" {
		return j.Key
	}
	if j.Spec == nil || j.Spec.Rule == nil {
		return "?"
	}
	return rules.JobName(j.Spec.Rule.Name, j.Spec.Wildcards, rules.Plain)
}

// WildcardList is rules.WildcardList: "sample=A, unit=1".
func WildcardList(wc map[string]string) string { return rules.WildcardList(wc) }
