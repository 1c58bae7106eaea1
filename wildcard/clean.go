package wildcard

import "strings"

// Clean is path.Clean for patterns: it removes "." and empty elements and
// resolves ".." lexically, dropping a trailing "/", but leaves the text
// inside {...} untouched (a constraint may contain "//" or "/./"). "" stays
// "" (path.Clean would say "."), and a pattern that cleans to nothing is ".".
//
// An element holding a wildcard is never cancelled by a following "..": the
// wildcard may span several directories, so "{a}/.." is kept as it is.
// Clean never fails; malformed braces are left for Parse to report, with an
// unclosed "{" keeping the rest of the text as it is.
func Clean(pattern string) string {
	if pattern == "" {
		return ""
	}
	rooted := pattern[0] == '/'
	var out []string
	wild := []bool{} // whether out[i] holds a wildcard
	start, hasWild := 0, false
	add := func(elem string, w bool) {
		switch {
		case elem == "" || elem == ".":
		case elem == ".." && len(out) > 0 && out[len(out)-1] != ".." && !wild[len(out)-1]:
			out, wild = out[:len(out)-1], wild[:len(wild)-1]
		case elem == ".." && len(out) == 0 && rooted:
			// "/.." is "/".
		default:
			out, wild = append(out, elem), append(wild, w)
		}
	}
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; {
		case (c == '{' || c == '}') && i+1 < len(pattern) && pattern[i+1] == c:
			i += 2
		case c == '{':
			hasWild = true
			end := closingBrace(pattern, i)
			if end < 0 {
				i = len(pattern)
			} else {
				i = end + 1
			}
		case c == '/':
			add(pattern[start:i], hasWild)
			i++
			start, hasWild = i, false
		default:
			i++
		}
	}
	add(pattern[start:], hasWild)
	s := strings.Join(out, "/")
	if rooted {
		return "/" + s
	}
	if s == "" {
		return "."
	}
	return s
}
