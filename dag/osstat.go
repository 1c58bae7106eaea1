package dag

import (
	"io/fs"
	"os"
	"path/filepath"
)

// OSStat is the real disk: relative names resolve against dir ("" means
// the working directory), absolute names are used as they are. It can also
// list a directory, which error messages use for "did you mean".
func OSStat(dir string) Stat { return osStat(dir) }

type osStat string

func (d osStat) path(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(string(d), filepath.FromSlash(name))
}

func (d osStat) Stat(name string) (fs.FileInfo, error) { return os.Stat(d.path(name)) }

func (d osStat) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(d.path(name)) }
