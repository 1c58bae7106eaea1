//go:build !unix

package wildcard

import "io/fs"

type fileID struct{}

// identity has no device and inode to give here, so linked directories are
// not walked (see GlobWildcards).
func identity(fs.FileInfo) (fileID, bool) { return fileID{}, false }
