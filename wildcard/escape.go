package wildcard

import (
	"fmt"
	"strings"
)

// Wildcard values come from targets and file names, which the Rulefile's
// author does not control, so a value may not point outside the working
// directory: it never starts with "/" and never has a ".." element, nor
// makes one with the text next to it (Pattern.leaves). The literal text of
// a pattern is the author's and may ("../data/{s}.fq").

// EscapeError reports a path that a pattern matches only by binding a
// wildcard to a value that leaves the working directory.
type EscapeError struct {
	Path, Pattern string
	Name, Value   string // the first such wildcard, in pattern order
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("a wildcard value may not leave the working directory ({%s}=%q)", e.Name, e.Value)
}

// Escape reports why Match refuses path when the only reason is that the
// binding leaves the working directory, and nil otherwise (path matches, or
// does not match at all). It is for error messages, off the hot path.
func (p *Pattern) Escape(path string) *EscapeError {
	if _, ok := p.match(path, true, nil); ok {
		return nil
	}
	vals, ok := p.match(path, false, nil)
	if !ok {
		return nil
	}
	for _, name := range p.names {
		if v := vals[name]; Escapes(v) {
			return &EscapeError{Path: path, Pattern: p.src, Name: name, Value: v}
		}
	}
	// The values leave only together with the text around them: name
	// the one that holds the first byte out.
	byName := p.byName(vals)
	at := p.leaves(path, byName)
	if at < 0 {
		return nil // refused for another reason, such as the search budget
	}
	off := len(p.lits[0])
	for i, k := range p.occ {
		if end := off + len(byName[k]); at < end {
			return &EscapeError{Path: path, Pattern: p.src, Name: p.names[k], Value: byName[k]}
		}
		off += len(byName[k]) + len(p.lits[i+1])
	}
	return nil
}

// Escapes reports whether value starts with "/" or has a ".." element.
func Escapes(value string) bool {
	if strings.HasPrefix(value, "/") {
		return true
	}
	// Most values have no "..": one scan decides.
	for i := strings.Index(value, ".."); i >= 0; {
		end := i + 2
		if (i == 0 || value[i-1] == '/') && (end == len(value) || value[end] == '/') {
			return true
		}
		j := strings.Index(value[i+1:], "..")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
