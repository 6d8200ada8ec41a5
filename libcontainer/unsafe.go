package libcontainer

import "unsafe"

func uintptrOf(s []uint32) uintptr { return uintptr(unsafe.Pointer(&s[0])) }
