package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
)

// suggest returns the candidate closest to given when it is close enough to
// be a likely typo (hclsyntax uses the same distance limit), else "".
func suggest(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean formats suggest's answer as a sentence to append to a detail,
// with a leading space, or "" when nothing is close.
func didYouMean(given string, candidates []string) string {
	if s := suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// JobName describes a job as messages show it: "rule count (sample=a)",
// wildcards sorted by name; "rule all" without wildcards.
func JobName(rule string, wildcards map[string]string) string {
	if len(wildcards) == 0 {
		return "rule " + rule
	}
	parts := make([]string, 0, len(wildcards))
	for _, k := range slices.Sorted(maps.Keys(wildcards)) {
		parts = append(parts, k+"="+wildcards[k])
	}
	return "rule " + rule + " (" + strings.Join(parts, ", ") + ")"
}

// String is JobName of the job.
func (j *Job) String() string {
	return JobName(j.Rule.Name, j.Wildcards)
}
