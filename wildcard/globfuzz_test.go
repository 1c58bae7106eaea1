package wildcard

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzGlobWildcards globs a pattern over a small in-memory tree and
// checks what glob_wildcards promises: the value lists line up, every
// row of values rebuilds a file or directory of the tree, and every
// regular file the pattern matches is found. Resolution's fuzzer skips
// glob_wildcards because it reads the real disk; this one stands in.
func FuzzGlobWildcards(f *testing.F) {
	f.Add("data/{s}.txt", "data/a.txt\ndata/b.txt\ndata/sub/c.txt\nother/d.txt")
	f.Add("{d}/{s,[^/]+}.fq", "x/1.fq\nx/y/2.fq\n3.fq")
	f.Add("reads/{s}_R{r,[12]}.fq.gz", "reads/a_R1.fq.gz\nreads/a_R2.fq.gz\nreads/a_R3.fq.gz")
	f.Add("{a}{b}", "ab\nabc/d")
	f.Add("lit.txt", "lit.txt\nlot.txt")
	f.Fuzz(func(t *testing.T, pattern, files string) {
		p, err := Parse(pattern, nil)
		if err != nil {
			return
		}
		tree := fstest.MapFS{}
		for _, name := range strings.Split(files, "\n") {
			name = strings.Trim(name, "/")
			if fs.ValidPath(name) && name != "." {
				tree[name] = &fstest.MapFile{Data: []byte("x")}
			}
		}
		for name := range tree {
			for dir := name; strings.Contains(dir, "/"); {
				dir = dir[:strings.LastIndex(dir, "/")]
				if _, ok := tree[dir]; ok {
					delete(tree, name) // a file below another file
					break
				}
			}
		}
		found, err := GlobWildcards(tree, pattern)
		if err != nil {
			return
		}
		rows := -1
		for _, n := range p.Names() {
			vals, ok := found[n]
			if !ok {
				t.Fatalf("no list for wildcard %s", n)
			}
			if rows >= 0 && len(vals) != rows {
				t.Fatalf("lists of different lengths: %v", found)
			}
			rows = len(vals)
		}
		for i := 0; i < rows; i++ {
			row := map[string]string{}
			for _, n := range p.Names() {
				row[n] = found[n][i]
			}
			path, err := p.Substitute(row)
			if err != nil {
				t.Fatalf("row %v: %v", row, err)
			}
			if _, err := fs.Stat(tree, path); err != nil {
				t.Fatalf("row %v rebuilds %q, which is not in the tree", row, path)
			}
		}
		if len(p.Names()) == 0 {
			return
		}
		matched := 0
		for name, file := range tree {
			if _, ok := p.Match(name); ok && file.Mode.IsRegular() {
				matched++
			}
		}
		if rows < matched {
			t.Fatalf("found %d rows, but %d files of the tree match %q", rows, matched, pattern)
		}
	})
}
