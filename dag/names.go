package dag

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// String describes the reason as the dry run shows it.
func (r Reason) String() string {
	switch r.Kind {
	case UpToDate:
		return "up to date"
	case MissingOutput:
		return "missing output: " + r.Path
	case InputNewer:
		return "input newer: " + r.Path
	case Forced:
		return "forced"
	case UpstreamChanged:
		return "upstream changed: " + r.Path
	case Incomplete:
		return "incomplete (interrupted run): " + r.Path
	case CodeChanged:
		return "code changed"
	case ParamsChanged:
		return "params changed"
	case InputListChanged:
		if r.Path == "" {
			return "input list changed"
		}
		return "input list changed: " + r.Path
	case PendingCheckpoint:
		return "waits for checkpoint " + r.Path
	case NoOutputs:
		return "no output files (always runs)"
	}
	return "reason " + strconv.Itoa(int(r.Kind))
}

// String names the job as messages show it: "align (sample=A, unit=1)",
// wildcards sorted by name, or just "all" without wildcards. A value that
// holds a separator (", ()=\"), a blank or a control character is quoted,
// so the name is also a unique key (it is Job.Key).
func (j *Job) String() string {
	if j.Key != "" {
		return j.Key
	}
	if j.Spec == nil || j.Spec.Rule == nil {
		return "?"
	}
	return jobKey(j.Spec.Rule.Name, j.Spec.Wildcards)
}

// jobKey is Job.String for a rule and a binding.
func jobKey(rule string, wc map[string]string) string {
	switch len(wc) {
	case 0:
		return rule
	case 1:
		for k, v := range wc {
			return rule + " (" + k + "=" + quoteValue(v) + ")"
		}
	}
	var small [8]string
	names := small[:0]
	for k := range wc {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(rule)
	b.WriteString(" (")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(quoteValue(wc[k]))
	}
	b.WriteByte(')')
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

// WildcardList renders a binding as messages show it: "sample=A, unit=1",
// keys sorted, odd values quoted.
func WildcardList(wc map[string]string) string {
	k := jobKey("", wc)
	return strings.TrimSuffix(strings.TrimPrefix(k, " ("), ")")
}
