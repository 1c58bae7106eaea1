package dag

import (
	"maps"
	"path"
	"runtime"
)

// prefetchMin is the least number of files worth statting in parallel.
const prefetchMin = 1024

// maxPrefetchDirs bounds the directories prefetchOutputs stats first.
const maxPrefetchDirs = 256

// prefetchOutputs fills the stat cache with the outputs of jobs that it
// does not hold yet, statting them in parallel: measure would stat them
// one at a time, and on the real disk those system calls are a good part
// of Build. Only OSStat is called concurrently; other Stat
// implementations need not be safe for that and are left to measure.
// The cache ends up as measure would leave it.
//
// A file whose directory does not exist (or is not a directory) does not
// exist either, so each distinct directory is statted first and the files
// of missing ones are not: before a first run, when no output exists,
// that is a few calls instead of one per output.
func (b *builder) prefetchOutputs(jobs []*Job) {
	st, ok := b.opts.Stat.(osStat)
	workers := runtime.GOMAXPROCS(0)
	if !ok || workers < 2 {
		return
	}
	n := 0
	for _, j := range jobs {
		n += len(j.Spec.Outputs)
	}
	if n < prefetchMin {
		return
	}
	paths := make([]string, 0, n) // grown by appends, it would be up to twice that
	for _, j := range jobs {
		for i := range j.Spec.Outputs {
			if p := j.Spec.Outputs[i].Path; !b.cached(p) {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) < prefetchMin {
		return
	}
	b.statInto(st, paths)
}

// statInto stats paths in parallel into the cache, each distinct
// directory first (see prefetchOutputs).
func (b *builder) statInto(st osStat, paths []string) {
	times := make([]int64, len(paths))
	dirs := map[string]bool{} // directory -> exists
	for _, p := range paths {
		if d := path.Dir(p); !dirs[d] {
			dirs[d] = true
			if len(dirs) > maxPrefetchDirs {
				dirs = nil // one per file or so: no saving
				break
			}
		}
	}
	for d := range dirs {
		fi, err := st.Stat(d)
		dirs[d] = err == nil && fi.IsDir()
	}
	inParallel(len(paths), 256, func(lo, hi int) {
		var buf []byte // the paths' C strings, one after the other
		for i := lo; i < hi; i++ {
			if dirs == nil || dirs[path.Dir(paths[i])] {
				t, ok := st.mtimeBuf(paths[i], &buf)
				if !ok {
					t = statTime(st, paths[i])
				}
				times[i] = t
			} else {
				times[i] = absent
			}
		}
	})
	if len(b.times) < len(paths) {
		// Made with room for all, the map does not grow entry by entry.
		m := make(map[string]int64, len(b.times)+len(paths))
		maps.Copy(m, b.times)
		b.times = m
	}
	for i, p := range paths {
		b.times[p] = times[i]
	}
}

func (b *builder) cached(p string) bool {
	_, ok := b.times[p]
	return ok
}
