package main

// -built: the state a full build leaves, written without running a job,
// so that the no-op of a million jobs can be measured without building a
// million jobs first with each tool. It reads the build.ninja it just
// wrote (every shape with one is made of `echo X > $out` and
// `cat $in > $out` edges), writes each output with the bytes its command
// would write, stage by stage one second apart, and writes the
// .ninja_log Ninja would have kept: without one, Ninja rebuilds every
// output ("command line not found in log"). flowmake's metadata comes
// from `flowmake -F --touch` afterwards (bench/big.sh).

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type ninjaEdge struct {
	out, rule string
	ins       []string
	vars      map[string]string
}

// readNinja parses the subset of the Ninja syntax gen writes.
func readNinja(path string) (rules map[string]string, edges []ninjaEdge, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rules = map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	rule := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "rule "):
			rule = strings.TrimPrefix(line, "rule ")
		case strings.HasPrefix(line, "  command = "):
			rules[rule] = strings.TrimPrefix(line, "  command = ")
		case strings.HasPrefix(line, "build "):
			head, tail, ok := strings.Cut(strings.TrimPrefix(line, "build "), ": ")
			if !ok {
				return nil, nil, fmt.Errorf("%s: cannot read %q", path, line)
			}
			fields := strings.Fields(tail)
			edges = append(edges, ninjaEdge{out: head, rule: fields[0], ins: fields[1:]})
		case strings.HasPrefix(line, "  ") && len(edges) > 0:
			k, v, _ := strings.Cut(strings.TrimSpace(line), " = ")
			e := &edges[len(edges)-1]
			if e.vars == nil {
				e.vars = map[string]string{}
			}
			e.vars[k] = v
		}
	}
	return rules, edges, sc.Err()
}

// writeBuilt writes the outputs and the .ninja_log of a full build.
func writeBuilt(dir string) error {
	rules, edges, err := readNinja(filepath.Join(dir, "build.ninja"))
	if err != nil {
		return err
	}
	contents := map[string][]byte{}
	depth := map[string]int{}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	var log strings.Builder
	log.WriteString("# ninja log v5\n")
	for _, e := range edges {
		command := strings.NewReplacer("$in", strings.Join(e.ins, " "), "$out", e.out).Replace(rules[e.rule])
		for k, v := range e.vars {
			command = strings.ReplaceAll(command, "$"+k, v)
		}
		var data []byte
		d := 0
		for _, in := range e.ins {
			d = max(d, depth[in])
		}
		switch {
		case strings.HasPrefix(command, "echo "):
			word, _, _ := strings.Cut(strings.TrimPrefix(command, "echo "), " > ")
			data = []byte(word + "\n")
		case strings.HasPrefix(command, "cat "):
			for _, in := range e.ins {
				c, ok := contents[in]
				if !ok {
					return fmt.Errorf("%s: input %s is not built before it", e.out, in)
				}
				data = append(data, c...)
			}
		default:
			return fmt.Errorf("%s: -built knows only echo and cat, not %q", e.out, command)
		}
		d++
		path := filepath.Join(dir, e.out)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		mtime := base.Add(time.Duration(d) * time.Second)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			return err
		}
		// Only what is read again is kept: the aggregate reads no content.
		if !strings.HasPrefix(e.rule, "all") {
			contents[e.out] = data
		}
		depth[e.out] = d
		fmt.Fprintf(&log, "0\t1\t%d\t%s\t%x\n", mtime.UnixNano(), e.out, murmurHash64A([]byte(command)))
	}
	return os.WriteFile(filepath.Join(dir, ".ninja_log"), []byte(log.String()), 0o644)
}

// murmurHash64A is the hash Ninja 1.11 keeps of each command in
// .ninja_log (build_log.cc), with its seed.
func murmurHash64A(key []byte) uint64 {
	const seed = 0xDECAFBADDECAFBAD
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(seed) ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := uint64(key[0]) | uint64(key[1])<<8 | uint64(key[2])<<16 | uint64(key[3])<<24 |
			uint64(key[4])<<32 | uint64(key[5])<<40 | uint64(key[6])<<48 | uint64(key[7])<<56
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	switch len(key) {
	case 7:
		h ^= uint64(key[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(key[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(key[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(key[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(key[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(key[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(key[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}
