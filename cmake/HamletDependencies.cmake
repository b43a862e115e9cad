# Finds every required dependency and, when one is missing, says which Debian package provides it.
find_package(PkgConfig QUIET)

macro(hamlet_require_package name debian_package)
  find_package(${name} ${ARGN} QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "${name} not found: install the Debian package '${debian_package}' "
                        "(or run packaging/install-deps)")
  endif()
endmacro()

macro(hamlet_require_qt component debian_package)
  find_package(Qt6 COMPONENTS ${component} QUIET)
  if(NOT Qt6${component}_FOUND)
    message(FATAL_ERROR "Qt6${component} not found: install the Debian package '${debian_package}' "
                        "(or run packaging/install-deps)")
  endif()
endmacro()
foreach(component Core DBus Network Widgets Test Xml)
  hamlet_require_qt(${component} qt6-base-dev)
endforeach()
hamlet_require_qt(Charts qt6-charts-dev)
hamlet_require_package(QCoro6 qcoro-qt6-dev COMPONENTS Core DBus)
hamlet_require_package(spdlog libspdlog-dev)

if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found: install the Debian package 'pkg-config'")
endif()
macro(hamlet_require_pkgconfig target module debian_package)
  pkg_check_modules(${target} QUIET IMPORTED_TARGET ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR "${module} not found: install the Debian package '${debian_package}' "
                        "(or run packaging/install-deps)")
  endif()
endmacro()
# Only the helper runs VMs and unpacks images; a GUI-only build (the Flatpak) needs neither.
if(HAMLET_BUILD_HELPER)
  hamlet_require_pkgconfig(LIBVIRT libvirt libvirt-dev)
  hamlet_require_pkgconfig(LIBARCHIVE libarchive libarchive-dev)
  hamlet_require_pkgconfig(SQLITE sqlite3 libsqlite3-dev)
  hamlet_require_qt(Concurrent qt6-base-dev) # the history's reads
endif()
if(HAMLET_BUILD_GUI)
  hamlet_require_pkgconfig(LIBVTERM vterm libvterm-dev)
  hamlet_require_pkgconfig(LIBVNCCLIENT libvncclient libvncserver-dev)
endif()

qcoro_enable_coroutines()
