//go:build !linux

package dag

// mtime leaves the real disk to os.Stat on systems other than Linux.
func (d osStat) mtime(name string) (int64, bool) { return 0, false }
