//go:build unix

package wildcard

import (
	"io/fs"
	"syscall"
)

// fileID names a directory across the paths that reach it.
type fileID struct{ dev, ino uint64 }

// identity returns fi's device and inode, where the file system gives them
// (os.DirFS does; fstest.MapFS does not).
func identity(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true // the field types differ by platform
}
