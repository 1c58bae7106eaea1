package rules

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// NameForm is one of the few ways messages show a job; JobName renders all
// of them, so a job reads the same everywhere it is printed.
type NameForm int

const (
	// Plain is "count (sample=a)", or just "count" without wildcards. It is
	// also the job's unique key in the graph (dag.Job.Key).
	Plain NameForm = iota
	// Ruled is Plain with "rule " before it, for sentences:
	// "In rule count (sample=a)."
	Ruled
	// Compact is "count sample=a", the progress line.
	Compact
)

// JobName names a job of rule with the given wildcards in form f.
// Wildcards are sorted by name; a value that holds a separator
// (", ()=\"), a blank or a control character, or is empty, is quoted, so
// the Plain name is unique per job.
func JobName(rule string, wc map[string]string, f NameForm) string {
	if f == Ruled {
		rule = "rule " + rule
	}
	if len(wc) == 0 {
		return rule
	}
	if f == Compact {
		return rule + " " + JoinWildcards(wc, " ", true)
	}
	if len(wc) == 1 { // the common case, without sorting
		for k, v := range wc {
			return rule + " (" + k + "=" + quoteValue(v) + ")"
		}
	}
	return rule + " (" + JoinWildcards(wc, ", ", true) + ")"
}

// WildcardList renders a binding as JobName does inside the parentheses:
// "sample=A, unit=1".
func WildcardList(wc map[string]string) string {
	return JoinWildcards(wc, ", ", true)
}

// JoinWildcards joins the sorted k=v pairs of wc with sep, each odd value
// quoted when quote is set (messages); unquoted it names files.
func JoinWildcards(wc map[string]string, sep string, quote bool) string {
	if len(wc) == 1 { // the common case: one allocation, no sorting
		for k, v := range wc {
			if quote {
				v = quoteValue(v)
			}
			return k + "=" + v
		}
	}
	var small [8]string // dodges an allocation for the usual few wildcards
	names := small[:0]
	for k := range wc {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(k)
		b.WriteByte('=')
		if quote {
			b.WriteString(quoteValue(wc[k]))
		} else {
			b.WriteString(wc[k])
		}
	}
	return b.String()
}

func quoteValue(v string) string {
	if plainValue(v) {
		return v // the common case, decided without decoding runes
	}
	if v == "" || strings.ContainsAny(v, ",()=\"\\") || strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) >= 0 {
		return strconv.Quote(v)
	}
	return v
}

// plainValue reports whether v is not empty and all printable ASCII
// other than blanks and the separators, which quoteValue leaves as is.
func plainValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c <= ' ' || c >= 0x7f:
			return false
		case c == ',' || c == '(' || c == ')' || c == '=' || c == '"' || c == '\\':
			return false
		}
	}
	return true
}
