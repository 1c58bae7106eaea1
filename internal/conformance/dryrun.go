package conformance

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Both tools list a dry run's jobs as blocks that start with
// "rule NAME:" (Snakemake also "localrule", "checkpoint", "localcheckpoint")
// and hold an indented "wildcards: k=v, k=v" line when the job has any.
var jobHeader = regexp.MustCompile(`^(?:local)?(?:rule|checkpoint) ([A-Za-z_][A-Za-z0-9_]*):$`)

// ParseSnakemakeDryRun returns the jobs of a `snakemake -n` listing, as
// JobName renders them. Values are as Snakemake prints them, unquoted.
func ParseSnakemakeDryRun(out string) []string {
	return parseDryRun(out, func(v string) string { return v })
}

// ParseFlowmakeDryRun returns the jobs of a `flowmake -n` listing.
// flowmake quotes odd values (empty, blanks, separators) Go-style.
func ParseFlowmakeDryRun(out string) []string {
	return parseDryRun(out, func(v string) string {
		if strings.HasPrefix(v, `"`) {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
		}
		return v
	})
}

func parseDryRun(out string, unquote func(string) string) []string {
	jobs := []string{}
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		m := jobHeader.FindStringSubmatch(strings.TrimRight(lines[i], " \r"))
		if m == nil {
			continue
		}
		wc := map[string]string{}
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    ") {
			i++
			if rest, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "wildcards: "); ok {
				for _, kv := range splitWildcards(rest) {
					k, v, _ := strings.Cut(kv, "=")
					wc[k] = unquote(v)
				}
			}
		}
		jobs = append(jobs, JobName(m[1], wc))
	}
	sort.Strings(jobs)
	return jobs
}

var nextKey = regexp.MustCompile(`^, [A-Za-z_][A-Za-z0-9_]*=`)

// splitWildcards splits `a=1, b="x, y"` at the commas outside quotes that
// start the next key.
func splitWildcards(s string) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == ',' && !quoted && nextKey.MatchString(s[i:]):
			parts = append(parts, s[start:i])
			start = i + 2
			i++
		}
	}
	return append(parts, s[start:])
}

// JobName is how a job is named in results and journals: the rule, then
// each wildcard as key=value, keys sorted, separated by spaces.
func JobName(rule string, wildcards map[string]string) string {
	var b strings.Builder
	b.WriteString(rule)
	for _, k := range sortedKeys(wildcards) {
		b.WriteString(" " + k + "=" + wildcards[k])
	}
	return b.String()
}
