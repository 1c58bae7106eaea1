//go:build !linux

package dag

// mtime leaves the real disk to os.Stat on systems other than Linux.
func (d osStat) mtime(name string) (int64, bool) { return 0, false }

// mtimeBuf is mtime; buf is for Linux's C strings.
func (d osStat) mtimeBuf(name string, _ *[]byte) (int64, bool) { return d.mtime(name) }
