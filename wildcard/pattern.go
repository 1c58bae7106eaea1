// Package wildcard owns flowmake's file patterns: it parses "{name}" and
// "{name,regex}" wildcards, matches paths against patterns, substitutes
// values back into them, cleans pattern paths, and implements the Rulefile's
// expand() and glob_wildcards(). Everything is pure except GlobWildcards,
// which reads an fs.FS.
//
// Pattern syntax (shared by Parse, Clean and Expand):
//
//   - "{name}" is a wildcard; name is an identifier [A-Za-z_][A-Za-z0-9_]*.
//     Blanks around the name and after the comma are ignored, as in Snakemake.
//   - "{name,REGEX}" constrains it inline. REGEX may contain balanced braces
//     ("{id,[0-9]{3}}") and backslash escapes ("\{"); braces inside a
//     character class must be escaped.
//   - A constraint always matches a whole value, so a leading "^" and
//     trailing "$" are redundant and ignored; other anchors and \b are
//     rejected, since RE2 could only test them against the surrounding text.
//   - A value is empty only where its constraint allows it ("{suffix,.*}"
//     matches "" as in Snakemake); the default ".+" needs a character.
//   - "{{" and "}}" outside a wildcard are literal braces, as in expand().
//     Parse accepts them too, so a file whose name holds a brace can be
//     written, and expand("{{x}}") yields a pattern that parses to a wildcard.
//
// Two rules keep hostile names in check. A wildcard value never leaves the
// working directory: Match refuses a binding with a value that has a ".."
// element or starts with "/", or that makes one with the text next to it
// (values may hold "/"; the pattern's literal text may point anywhere), and
// Escape says why. GlobWildcards follows symbolic links but walks each
// directory at most once, by device and inode, so a symlink loop ends and
// the cost is linear in what it sees.
package wildcard

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// defaultConstraint is what an unconstrained wildcard matches. Like
// Snakemake's default it spans "/".
const defaultConstraint = ".+"

// searchBudget bounds the backtracking fallback of Match, so a pathological
// pattern costs milliseconds, not minutes. It is counted in candidateCost per
// candidate value tried plus, per regexp check, the value's length times the
// size of the constraint's program (Go's regexp matching is linear in both).
const (
	searchBudget  = 1 << 23
	candidateCost = 32
)

// Pattern is a compiled file pattern such as "counts/{sample}.txt" or "{s,[a-z]+}/x".
// It is immutable and safe for concurrent use.
type Pattern struct {
	src string

	// The pattern is lits[0] occ[0] lits[1] ... occ[n-1] lits[n], where
	// lits are decoded literal text and occ holds, per wildcard occurrence,
	// the index of its name in names.
	lits  []string
	occ   []int
	names []string
	cons  []string         // effective constraint per name
	whole []*regexp.Regexp // per name: the constraint anchored, for the fallback search
	size  []int            // per name: instructions in whole's program
	dflt  []bool           // per name: the constraint is the default ".+"
	empty []bool           // per name: the constraint matches ""
	// minMid is the least length of the text between prefix and suffix:
	// one byte per occurrence whose constraint does not match "".
	minMid int

	// mid matches the text between prefix and suffix, one capturing group
	// per occurrence; group[i] is occurrence i's group number.
	mid      *regexp.Regexp
	group    []int
	single   bool // one occurrence: the middle text is the value
	anyNonNL bool // single and its constraint is the default ".+"
}

// SyntaxError reports a malformed pattern or constraint.
type SyntaxError struct {
	Pattern string
	Offset  int // byte offset into Pattern
	Msg     string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("pattern %q: %s at offset %d", e.Pattern, e.Msg, e.Offset)
}

// MissingError reports a wildcard that has no value.
type MissingError struct {
	Pattern, Name string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("no value for wildcard {%s} in %q", e.Name, e.Pattern)
}

// Parse compiles pattern. constraints maps wildcard name -> regex, used for
// wildcards without an inline constraint ({name,REGEX} inline wins); the
// default is ".+". Entries for names the pattern does not use are ignored.
// Two occurrences of one name may not carry different inline constraints.
// Parse does not clean the text; see Clean.
func Parse(pattern string, constraints map[string]string) (*Pattern, error) {
	toks, err := scan(pattern)
	if err != nil {
		return nil, err
	}
	p := &Pattern{src: pattern}
	index := map[string]int{}
	inline := []bool{}
	at := []int{} // offset of each name's inline constraint, else first occurrence
	lit := ""
	for _, t := range toks {
		if !t.wild {
			lit += t.lit
			continue
		}
		p.lits = append(p.lits, lit)
		lit = ""
		k, seen := index[t.name]
		if !seen {
			k = len(p.names)
			index[t.name] = k
			p.names = append(p.names, t.name)
			p.cons = append(p.cons, "")
			inline = append(inline, false)
			at = append(at, t.off)
		}
		p.occ = append(p.occ, k)
		if !t.hasCons {
			continue
		}
		if inline[k] && p.cons[k] != t.cons {
			return nil, &SyntaxError{pattern, t.consOff,
				fmt.Sprintf("wildcard {%s} has two different constraints", t.name)}
		}
		if !inline[k] {
			p.cons[k], inline[k], at[k] = t.cons, true, t.consOff
		}
	}
	p.lits = append(p.lits, lit)
	if len(p.occ) == 0 {
		return p, nil
	}

	numSub := make([]int, len(p.names))
	body := make([]string, len(p.names)) // constraint as embedded in mid
	p.whole = make([]*regexp.Regexp, len(p.names))
	p.size = make([]int, len(p.names))
	p.dflt = make([]bool, len(p.names))
	p.empty = make([]bool, len(p.names))
	for k, name := range p.names {
		if !inline[k] {
			c, ok := constraints[name]
			if !ok {
				c = defaultConstraint
			} else if c == "" {
				return nil, &SyntaxError{pattern, at[k],
					fmt.Sprintf("empty constraint for wildcard {%s}", name)}
			}
			p.cons[k] = c
		}
		var err error
		if body[k], err = unanchor(p.cons[k]); err != nil {
			return nil, &SyntaxError{pattern, at[k], fmt.Sprintf("invalid constraint for wildcard {%s}: %v", name, err)}
		}
		re, err := regexp.Compile(body[k])
		if err != nil {
			return nil, &SyntaxError{pattern, at[k], fmt.Sprintf("invalid constraint for wildcard {%s}: %v", name, err)}
		}
		numSub[k] = re.NumSubexp()
		if p.whole[k], err = regexp.Compile(`^(?:` + body[k] + `)$`); err != nil {
			return nil, &SyntaxError{pattern, at[k], fmt.Sprintf("invalid constraint for wildcard {%s}: %v", name, err)}
		}
		p.size[k] = progSize(p.whole[k].String())
		p.dflt[k] = body[k] == defaultConstraint
		p.empty[k] = p.whole[k].MatchString("")
	}
	for _, k := range p.occ {
		if !p.empty[k] {
			p.minMid++
		}
	}

	var b strings.Builder
	b.WriteString("^")
	g := 1
	for i, k := range p.occ {
		p.group = append(p.group, g)
		g += 1 + numSub[k]
		b.WriteString("(")
		b.WriteString(body[k])
		b.WriteString(")")
		if i+1 < len(p.occ) {
			b.WriteString(regexp.QuoteMeta(p.lits[i+1]))
		}
	}
	b.WriteString("$")
	if p.mid, err = regexp.Compile(b.String()); err != nil {
		// Each constraint compiled alone, so only limits (size, nesting)
		// of the combined expression can fail here.
		return nil, &SyntaxError{pattern, at[0], fmt.Sprintf("pattern too complex: %v", err)}
	}
	p.single = len(p.occ) == 1
	p.anyNonNL = p.single && p.dflt[0]
	return p, nil
}

// String returns the source text of the pattern.
func (p *Pattern) String() string { return p.src }

// Names returns the distinct wildcard names in order of first appearance.
// The slice is a copy.
func (p *Pattern) Names() []string { return append([]string(nil), p.names...) }

// HasWildcards reports whether the pattern has at least one wildcard.
func (p *Pattern) HasWildcards() bool { return len(p.occ) > 0 }

// Prefix returns the literal text before the first wildcard, decoded ("{{"
// reads "{"). Without wildcards it is the whole (decoded) text. Every path
// that matches has this prefix, so callers can index patterns by it.
func (p *Pattern) Prefix() string { return p.lits[0] }

// Suffix returns the literal text after the last wildcard, decoded. Without
// wildcards it is the whole text, like Prefix, so that every path that
// matches always has this suffix.
func (p *Pattern) Suffix() string { return p.lits[len(p.lits)-1] }

// Constraint returns the effective regex of wildcard name: inline, else
// from Parse's map, else ".+". It returns "" if name is not in the pattern.
func (p *Pattern) Constraint(name string) string {
	for k, n := range p.names {
		if n == name {
			return p.cons[k]
		}
	}
	return ""
}

// Match reports whether path matches the whole pattern and, if so, the value
// of each wildcard (an empty map for a pattern without wildcards). A value
// is empty only when its constraint matches "" ("{suffix,.*}"), as in
// Snakemake; under the default ".+" it never is.
//
// The path is matched leftmost-first (Go's regexp), so "{a}_{b}" binds
// "x_y_z" as a="x_y", b="z". RE2 has no backreferences, so each occurrence of
// a repeated wildcard is its own group; when the regexp's choice gives
// unequal (or empty) values, Match searches the other splits, longest value
// first, within a fixed budget (searchBudget), and reports no match if the
// budget runs out.
//
// A binding that leaves the working directory is no match: one with a value
// that has a ".." element or starts with "/", or where such an element or a
// leading "/" of path holds a byte of a value (".{a}" on "../x"). When the
// regexp's choice leaves, Match searches the other splits as above (see
// Escape).
func (p *Pattern) Match(path string) (map[string]string, bool) { return p.match(path, true, nil) }

// MatchLike is Match, except that when the binding is exactly like (a
// pattern of one name, and like that name's value alone), it returns
// like itself instead of a new map: the jobs of a chain of rules over one
// sample then share one map, without one made and dropped per job. The
// caller must not write either map.
func (p *Pattern) MatchLike(path string, like map[string]string) (map[string]string, bool) {
	return p.match(path, true, like)
}

// match is Match; stay says whether values must stay inside (Escape
// wants the binding without that rule).
func (p *Pattern) match(path string, stay bool, like map[string]string) (map[string]string, bool) {
	if p.mid == nil {
		if path != p.lits[0] {
			return nil, false
		}
		return map[string]string{}, true
	}
	pre, suf := p.lits[0], p.lits[len(p.lits)-1]
	if len(path) < len(pre)+len(suf)+p.minMid || !strings.HasPrefix(path, pre) || !strings.HasSuffix(path, suf) {
		return nil, false
	}
	mid := path[len(pre) : len(path)-len(suf)]
	if p.single {
		if p.anyNonNL {
			// ".+" is everything but a newline; skip the regexp.
			if strings.IndexByte(mid, '\n') >= 0 {
				return nil, false
			}
		} else if !p.mid.MatchString(mid) {
			return nil, false
		}
		if stay && (Escapes(mid) || risky(path) && p.leaves(path, []string{mid}) >= 0) {
			return nil, false
		}
		if len(like) == 1 {
			if v, ok := like[p.names[0]]; ok && v == mid {
				return like, true
			}
		}
		return map[string]string{p.names[0]: mid}, true
	}
	loc := p.mid.FindStringSubmatchIndex(mid)
	if loc == nil {
		// The regexp is the pattern without the equality rule (and,
		// where a constraint allows "", the non-empty one), so no
		// binding exists at all.
		return nil, false
	}
	// Only such a path can leave through the text between the values;
	// decided once the regexp matched, as most paths tried do not.
	check := stay && risky(path)
	vals := make(map[string]string, len(p.names))
	for i, k := range p.occ {
		g := p.group[i]
		v := mid[loc[2*g]:loc[2*g+1]]
		prev, seen := vals[p.names[k]]
		if v == "" && !p.empty[k] || seen && prev != v || stay && Escapes(v) {
			return p.search(path, mid, stay, check)
		}
		vals[p.names[k]] = v
	}
	if check && p.leaves(path, p.byName(vals)) >= 0 {
		return p.search(path, mid, stay, check)
	}
	return vals, true
}

// byName lists vals (by name) in the order of p.names, as leaves wants.
func (p *Pattern) byName(vals map[string]string) []string {
	out := make([]string, len(p.names))
	for k, name := range p.names {
		out[k] = vals[name]
	}
	return out
}

// risky reports whether path might leave the working directory: only such
// a path needs the byte-wise check of leaves.
func risky(path string) bool {
	return strings.HasPrefix(path, "/") || strings.Contains(path, "..")
}

// leaves returns the offset of the first byte by which path, bound to vals
// (per name), leaves the working directory through a value: a leading "/"
// or a ".." element that holds a byte of a value. It returns -1 if there is
// none. The pattern's literal text may leave; the values may not.
func (p *Pattern) leaves(path string, vals []string) int {
	wild := make([]bool, len(path))
	off := len(p.lits[0])
	for i, k := range p.occ {
		for j := off; j < off+len(vals[k]); j++ {
			wild[j] = true
		}
		off += len(vals[k]) + len(p.lits[i+1])
	}
	if path != "" && path[0] == '/' && wild[0] {
		return 0
	}
	for a := 0; a < len(path); {
		b := strings.IndexByte(path[a:], '/')
		if b < 0 {
			b = len(path)
		} else {
			b += a
		}
		if path[a:b] == ".." {
			if wild[a] {
				return a
			}
			if wild[a+1] {
				return a + 1
			}
		}
		a = b + 1
	}
	return -1
}

// search finds a binding for the text between prefix and suffix by
// backtracking over the occurrences, trying the longest value first (close to
// the regexp's greedy choice). It is the slow path of Match. With stay, a
// binding must not leave the working directory (path is the whole text);
// check is stay && risky(path), as match computed it.
func (p *Pattern) search(path, s string, stay, check bool) (map[string]string, bool) {
	// A value may not end inside a multi-byte rune, as with the regexp;
	// bytes of invalid UTF-8 are runes of their own, as there.
	inside := make([]bool, len(s)+1)
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		for j := i + 1; j < i+n; j++ {
			inside[j] = true
		}
		i += n
	}
	vals := make([]string, len(p.names))
	bound := make([]bool, len(p.names)) // vals[k] is set (it may be "")
	budget := searchBudget
	last := len(p.occ) - 1
	var try func(i, pos int) bool
	try = func(i, pos int) bool {
		if i > last {
			if pos != len(s) {
				return false
			}
			if !check {
				return true
			}
			if budget -= len(path); budget < 0 {
				return false
			}
			return p.leaves(path, vals) < 0
		}
		next := ""
		if i < last {
			next = p.lits[i+1]
		}
		k := p.occ[i]
		if bound[k] {
			v := vals[k]
			end := pos + len(v)
			if !strings.HasPrefix(s[pos:], v) || !strings.HasPrefix(s[end:], next) || i == last && end != len(s) {
				return false
			}
			return try(i+1, end+len(next))
		}
		// The rest of the text must hold the later literals, the values
		// already bound, a byte per unbound occurrence that cannot be
		// empty, and this value again at each repeat (m copies in all). That bounds its
		// length, which matters for "{a}{a}{a}": the right length is tried
		// first instead of after thousands of longer ones.
		need, m := len(next), 1
		for j := i + 1; j <= last; j++ {
			if j < last {
				need += len(p.lits[j+1])
			}
			switch kj := p.occ[j]; {
			case kj == k:
				m++
			case bound[kj]:
				need += len(vals[kj])
			case !p.empty[kj]:
				need++
			}
		}
		lo, hi := pos+1, pos+(len(s)-pos-need)/m
		if p.empty[k] {
			lo = pos
		}
		if i == last {
			lo = len(s)
		}
		if hi < lo {
			return false
		}
		if p.dflt[k] {
			// ".+" holds anything up to a newline; no regexp needed.
			if nl := strings.IndexByte(s[pos:hi], '\n'); nl >= 0 {
				hi = pos + nl
			}
		}
		for end := hi; end >= lo; end-- {
			if next != "" {
				// Jump to the next place the following literal occurs.
				if end = strings.LastIndex(s[:end+len(next)], next); end < lo {
					break
				}
			}
			if budget -= candidateCost; budget < 0 {
				return false
			}
			if inside[end] {
				continue
			}
			if !p.dflt[k] {
				if budget -= (end - pos + 1) * p.size[k]; budget < 0 {
					return false
				}
				if !p.whole[k].MatchString(s[pos:end]) {
					continue
				}
			}
			if stay && Escapes(s[pos:end]) {
				continue
			}
			vals[k], bound[k] = s[pos:end], true
			if try(i+1, end+len(next)) {
				return true
			}
			vals[k], bound[k] = "", false
		}
		return false
	}
	if !try(0, 0) {
		return nil, false
	}
	m := make(map[string]string, len(p.names))
	for k, name := range p.names {
		m[name] = vals[k]
	}
	return m, true
}

// Substitute fills the wildcards with values. Keys the pattern does not use
// are ignored; a missing one is a *MissingError. Values are not checked
// against the constraints (nor for emptiness): callers that need it check.
// For values that satisfy them and stay inside (see Escape), Match of the result succeeds and Substitute
// of its bindings gives the same text again; the bindings equal values unless
// the pattern is ambiguous ("{a}_{b}", see Match). The exceptions are a
// pathological pattern that exhausts Match's search budget, and values of
// invalid UTF-8 that fuse into one rune with the text next to them.
func (p *Pattern) Substitute(values map[string]string) (string, error) {
	if len(p.occ) == 0 {
		return p.lits[0], nil
	}
	var b strings.Builder
	b.WriteString(p.lits[0])
	for i, k := range p.occ {
		v, ok := values[p.names[k]]
		if !ok {
			return "", &MissingError{Pattern: p.src, Name: p.names[k]}
		}
		b.WriteString(v)
		b.WriteString(p.lits[i+1])
	}
	return b.String(), nil
}

// AppendSubstitute appends what Substitute returns to dst (on a missing
// value, dst as far as it got and the *MissingError). With a reused dst
// the caller copies out a string of exactly the right size: one
// allocation per path where Substitute's builder makes two or three.
func (p *Pattern) AppendSubstitute(dst []byte, values map[string]string) ([]byte, error) {
	dst = append(dst, p.lits[0]...)
	for i, k := range p.occ {
		v, ok := values[p.names[k]]
		if !ok {
			return dst, &MissingError{Pattern: p.src, Name: p.names[k]}
		}
		dst = append(dst, v...)
		dst = append(dst, p.lits[i+1]...)
	}
	return dst, nil
}

// progSize returns the number of instructions of re's compiled program, the
// per-byte cost of matching it in the worst case.
func progSize(re string) int {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return 1 << 20 // cannot happen: re compiled
	}
	prog, err := syntax.Compile(r.Simplify())
	if err != nil {
		return 1 << 20
	}
	return len(prog.Inst)
}

// unanchor returns constraint re ready to be embedded in the pattern's
// regexp. A constraint always matches a whole value, so a leading "^" or
// "\A" and a trailing "$" or "\z" are redundant and dropped. Anywhere else
// an assertion (^ $ \A \z \b \B) would test the text around the value,
// not the value, which RE2 cannot express, so it is an error.
func unanchor(re string) (string, error) {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", err
	}
	stripped := false
	switch {
	case r.Op == syntax.OpBeginText || r.Op == syntax.OpEndText:
		r, stripped = &syntax.Regexp{Op: syntax.OpEmptyMatch}, true
	case r.Op == syntax.OpConcat:
		if len(r.Sub) > 0 && r.Sub[0].Op == syntax.OpBeginText {
			r.Sub, stripped = r.Sub[1:], true
		}
		if n := len(r.Sub); n > 0 && r.Sub[n-1].Op == syntax.OpEndText {
			r.Sub, stripped = r.Sub[:n-1], true
		}
	}
	var walk func(r *syntax.Regexp) bool
	walk = func(r *syntax.Regexp) bool {
		switch r.Op {
		case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
			syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return true
		}
		for _, sub := range r.Sub {
			if walk(sub) {
				return true
			}
		}
		return false
	}
	if walk(r) {
		return "", fmt.Errorf(`%q: ^ and \A may only start it, $ and \z only end it, \b and \B are not allowed (a constraint always matches a whole value)`, re)
	}
	if !stripped {
		return closeQuote(re), nil
	}
	return r.String(), nil
}

// closeQuote appends the "\E" that an unterminated "\Q" (quote to the end)
// leaves implicit, so that the constraint can be embedded in a group.
func closeQuote(re string) string {
	for i := 0; i+1 < len(re); i++ {
		if re[i] != '\\' {
			continue
		}
		if re[i+1] == 'Q' {
			end := strings.Index(re[i+2:], `\E`)
			if end < 0 {
				return re + `\E`
			}
			i += 2 + end
		}
		i++
	}
	return re
}
