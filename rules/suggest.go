package rules

import (
	"fmt"

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

// String is the job as sentences name it: "rule count (sample=a)".
func (j *Job) String() string {
	return JobName(j.Rule.Name, j.Wildcards, Ruled)
}
