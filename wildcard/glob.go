package wildcard

import (
	"io/fs"
	"regexp/syntax"
	"slices"
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
// The walk is narrowed with a doublestar glob in which a wildcard is "*",
// or, when its constraint can match "/" (the default ".+" can), its whole
// path element is "**"; each hit is then matched against the pattern itself.
//
// Symbolic links: a link is itself a hit like the file or directory it
// points to, and a linked directory is walked, but each directory at most
// once, known by device and inode. Real directories are walked first and
// links after, so a directory reached both ways is seen under its real
// path, and a loop ("data/loop -> .") ends. The cost is one visit per
// directory and entry. Where fsys gives no device and inode (not an
// os.DirFS), linked directories are not walked.
func GlobWildcards(fsys fs.FS, pattern string) (map[string][]string, error) {
	p, err := Parse(pattern, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(p.names))
	for _, name := range p.names {
		out[name] = []string{}
	}
	hits, err := walkGlob(fsys, p.glob())
	if err != nil {
		return nil, err
	}
	sort.Strings(hits)
	for _, h := range hits {
		vals, ok := p.Match(h)
		if !ok {
			continue
		}
		for name, v := range vals {
			out[name] = append(out[name], v)
		}
	}
	return out, nil
}

// walkGlob returns the regular files and directories of fsys that match
// the doublestar pattern glob, following each directory at most once (see
// GlobWildcards). Unreadable directories are skipped, as doublestar.Glob
// does.
func walkGlob(fsys fs.FS, glob string) ([]string, error) {
	elems := strings.Split(glob, "/")
	for _, e := range elems {
		if e != "**" && !doublestar.ValidatePattern(e) {
			return nil, doublestar.ErrBadPattern
		}
	}
	// The leading literal elements name one directory: start there, as
	// Snakemake starts at the pattern's directory (a link there is
	// followed like any path).
	var dir []string
	for len(elems) > 1 && !hasMeta(elems[0]) {
		dir = append(dir, unescape(elems[0]))
		elems = elems[1:]
	}
	w := &globWalk{fsys: fsys, elems: elems, seen: map[fileID]bool{}}
	root := "."
	if len(dir) > 0 {
		root = strings.Join(dir, "/")
	}
	fi, err := fs.Stat(fsys, root)
	if err != nil || !fi.IsDir() {
		return nil, nil
	}
	w.enter(fi)
	w.dir(root, w.closure([]int{0}))
	// Linked directories wait until the real ones are walked; those they
	// hold wait in turn, so the queue drains in at most one walk per
	// directory.
	for len(w.links) > 0 {
		l := w.links[0]
		w.links = w.links[1:]
		fi, err := fs.Stat(fsys, l.path)
		if err != nil || !fi.IsDir() || !w.enter(fi) {
			continue
		}
		w.dir(l.path, l.states)
	}
	return w.hits, nil
}

type globWalk struct {
	fsys  fs.FS
	elems []string // glob elements after the start directory
	seen  map[fileID]bool
	links []pending
	hits  []string
}

// pending is a linked directory to walk once the real ones are done.
type pending struct {
	path   string
	states []int
}

// enter marks directory fi as walked and reports whether it was new. A
// directory without an identity is new (real directories form a tree).
func (w *globWalk) enter(fi fs.FileInfo) bool {
	id, ok := identity(fi)
	if !ok {
		return true
	}
	if w.seen[id] {
		return false
	}
	w.seen[id] = true
	return true
}

// closure adds to states the positions a "**" may skip (it matches zero
// elements too). A state is an index into elems; len(elems) is the end.
func (w *globWalk) closure(states []int) []int {
	for i := 0; i < len(states); i++ {
		s := states[i]
		if s < len(w.elems) && w.elems[s] == "**" && !slices.Contains(states, s+1) {
			states = append(states, s+1)
		}
	}
	return states
}

// dir matches the entries of directory p against states, records the hits
// and descends where more elements remain.
func (w *globWalk) dir(p string, states []int) {
	entries, err := fs.ReadDir(w.fsys, p)
	if err != nil {
		return
	}
	for _, e := range entries {
		var next []int
		for _, s := range states {
			switch {
			case s == len(w.elems):
			case w.elems[s] == "**":
				if !slices.Contains(next, s) {
					next = append(next, s)
				}
			default:
				if ok, _ := doublestar.Match(w.elems[s], e.Name()); ok && !slices.Contains(next, s+1) {
					next = append(next, s+1)
				}
			}
		}
		if len(next) == 0 {
			continue
		}
		next = w.closure(next)
		child := e.Name()
		if p != "." {
			child = p + "/" + child
		}
		isDir := e.IsDir()
		var linked fs.FileInfo // the target, for a symbolic link
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := fs.Stat(w.fsys, child)
			if err != nil {
				continue // dangling
			}
			if !fi.IsDir() && !fi.Mode().IsRegular() {
				continue
			}
			isDir, linked = fi.IsDir(), fi
		} else if !isDir && !e.Type().IsRegular() {
			continue // devices, pipes, sockets
		}
		if slices.Contains(next, len(w.elems)) {
			w.hits = append(w.hits, child)
		}
		if !isDir || !slices.ContainsFunc(next, w.more) {
			continue
		}
		if linked != nil {
			// Walked once the real directories are (see walkGlob).
			if _, ok := identity(linked); ok {
				w.links = append(w.links, pending{child, next})
			}
		} else if fi, err := e.Info(); err == nil && w.enter(fi) {
			w.dir(child, next)
		}
	}
}

// more reports whether state s has elements left to match.
func (w *globWalk) more(s int) bool { return s < len(w.elems) }

// hasMeta reports whether glob element e has an unescaped meta character.
func hasMeta(e string) bool {
	for i := 0; i < len(e); i++ {
		switch e[i] {
		case '\\':
			i++
		case '*', '?', '[', '{':
			return true
		}
	}
	return false
}

// unescape drops the backslashes of an element without meta characters.
func unescape(e string) string {
	var b strings.Builder
	for i := 0; i < len(e); i++ {
		if e[i] == '\\' && i+1 < len(e) {
			i++
		}
		b.WriteByte(e[i])
	}
	return b.String()
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
