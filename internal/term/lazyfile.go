package term

import "os"

// LazyFile creates its file at Path on the first write, so that a clean
// import leaves no empty rejects file behind.
type LazyFile struct {
	Path string
	f    *os.File
	err  error
}

func (l *LazyFile) Write(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		l.f, l.err = os.Create(l.Path)
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Write(p)
}

// Created reports whether anything was written (and so the file exists).
func (l *LazyFile) Created() bool { return l.f != nil }

// Close closes the file, if it was created.
func (l *LazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
