package wildcard

import (
	"fmt"
	"regexp"
	"strings"
)

// token is a run of literal text or one wildcard of a pattern.
type token struct {
	wild bool
	lit  string // decoded literal text ("{{" reads "{")

	name    string
	cons    string // inline constraint, if hasCons
	hasCons bool
	off     int // offset of the wildcard's "{"
	consOff int // offset of the constraint
}

// scan splits pattern into tokens, merging adjacent literal text. It checks
// the syntax of each wildcard, including its inline regex.
func scan(pattern string) ([]token, error) {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; c {
		case '{', '}':
			if i+1 < len(pattern) && pattern[i+1] == c {
				lit.WriteByte(c)
				i += 2
				continue
			}
			if c == '}' {
				return nil, &SyntaxError{pattern, i, `unmatched "}" (write "}}" for a literal brace)`}
			}
			end := closingBrace(pattern, i)
			if end < 0 {
				return nil, &SyntaxError{pattern, i, `unclosed "{" (write "{{" for a literal brace)`}
			}
			t, err := wildcardToken(pattern, i, end)
			if err != nil {
				return nil, err
			}
			flush()
			toks = append(toks, t)
			i = end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return toks, nil
}

// closingBrace returns the index of the "}" that closes the "{" at open,
// counting nested braces and skipping backslash escapes, or -1.
func closingBrace(s string, open int) int {
	depth := 0
	for j := open; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// wildcardToken parses the wildcard pattern[open:end+1].
func wildcardToken(pattern string, open, end int) (token, error) {
	inner := pattern[open+1 : end]
	raw, cons, hasCons := strings.Cut(inner, ",")
	name := strings.TrimLeft(raw, blanks)
	nameOff := open + 1 + len(raw) - len(name)
	name = strings.TrimRight(name, blanks)
	t := token{wild: true, name: name, off: open}
	switch {
	case name == "":
		return t, &SyntaxError{pattern, nameOff, "empty wildcard name"}
	case !isIdent(name):
		return t, &SyntaxError{pattern, nameOff, fmt.Sprintf(
			"invalid wildcard name %q (use letters, digits and _, not starting with a digit)", name)}
	}
	if !hasCons {
		return t, nil
	}
	t.cons = strings.TrimLeft(cons, blanks)
	t.hasCons = true
	t.consOff = end - len(t.cons)
	if t.cons == "" {
		return t, &SyntaxError{pattern, t.consOff, fmt.Sprintf("empty constraint for wildcard {%s}", name)}
	}
	if _, err := regexp.Compile(t.cons); err != nil {
		return t, &SyntaxError{pattern, t.consOff, fmt.Sprintf("invalid constraint for wildcard {%s}: %v", name, err)}
	}
	return t, nil
}

// blanks may surround a name and precede a constraint, as in Snakemake.
const blanks = " \t"

// isIdent reports whether s is an identifier [A-Za-z_][A-Za-z0-9_]*.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
