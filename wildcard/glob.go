package wildcard

import (
	"io/fs"
	"regexp/syntax"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// GlobWildcards finds the values of each wildcard of pattern over the
// existing files under fsys, like Snakemake's glob_wildcards. pattern and the
// paths of fsys are relative and slash-separated, as io/fs wants. It returns
// name -> values, one entry per matching regular file or directory, files in
// lexical order, so the lists line up index by index. Without a match every
// name maps to an empty, non-nil list.
//
// The disk is narrowed with a doublestar glob in which a wildcard is "*",
// or, when its constraint can match "/" (the default ".+" can), its whole
// path element is "**"; each hit is then matched against the pattern itself.
func GlobWildcards(fsys fs.FS, pattern string) (map[string][]string, error) {
	p, err := Parse(pattern, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(p.names))
	for _, name := range p.names {
		out[name] = []string{}
	}
	hits, err := doublestar.Glob(fsys, p.glob())
	if err != nil {
		return nil, err
	}
	sort.Strings(hits)
	for _, h := range hits {
		if h == "." {
			// "**" matches the root itself, which is no file name.
			continue
		}
		vals, ok := p.Match(h)
		if !ok {
			continue
		}
		fi, err := fs.Stat(fsys, h)
		if err != nil || !fi.Mode().IsRegular() && !fi.IsDir() {
			continue
		}
		for name, v := range vals {
			out[name] = append(out[name], v)
		}
	}
	return out, nil
}

// glob returns a doublestar pattern that matches at least the paths p matches.
func (p *Pattern) glob() string {
	spans := make([]bool, len(p.names))
	for k, c := range p.cons {
		spans[k] = canMatchSlash(c)
	}
	var elems []string
	var cur strings.Builder
	wide := false // the current element holds a wildcard that spans "/"
	end := func() {
		switch {
		case !wide:
			elems = append(elems, cur.String())
		case len(elems) == 0 || elems[len(elems)-1] != "**":
			elems = append(elems, "**")
		}
		cur.Reset()
		wide = false
	}
	literal := func(s string) {
		for i, part := range strings.Split(s, "/") {
			if i > 0 {
				end()
			}
			cur.WriteString(globEscaper.Replace(part))
		}
	}
	for i, k := range p.occ {
		literal(p.lits[i])
		cur.WriteString("*")
		wide = wide || spans[k]
	}
	literal(p.lits[len(p.lits)-1])
	end()
	return strings.Join(elems, "/")
}

var globEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`, "{", `\{`, "}", `\}`)

// canMatchSlash reports whether regex re might match a string containing
// "/". It errs on the side of true.
func canMatchSlash(re string) bool {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return true
	}
	var walk func(r *syntax.Regexp) bool
	walk = func(r *syntax.Regexp) bool {
		switch r.Op {
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			return true
		case syntax.OpLiteral:
			for _, c := range r.Rune {
				if c == '/' {
					return true
				}
			}
		case syntax.OpCharClass:
			for i := 0; i+1 < len(r.Rune); i += 2 {
				if r.Rune[i] <= '/' && '/' <= r.Rune[i+1] {
					return true
				}
			}
		}
		for _, sub := range r.Sub {
			if walk(sub) {
				return true
			}
		}
		return false
	}
	return walk(r)
}
