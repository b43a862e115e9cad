# Debian packages through CPack, one per install component:
#   hamlet-helper (component "helper"): the privileged helper, its D-Bus policy and activation file,
#                                       the systemd unit and the polkit actions;
#   hamlet        (component "gui"):    the window, hamletctl, desktop file, metainfo and icons.
# Built by packaging/build-debs (`cpack -G DEB` in the build tree), always under /usr whatever prefix
# the tree was configured with: the files that name installed paths are written at install time.

set(debian_dir ${PROJECT_SOURCE_DIR}/packaging/debian)
# The packages' version is the Debian changelog's latest entry, e.g. "0.1.0-1~deb12": the upstream
# version must be the project's; the revision's "~deb12" says the build is for Debian 12 (bookworm),
# so that a package of the same version from Debian itself would replace it, as with other vendors'
# packages (and it is no initial Debian upload, which would close an ITP bug).
file(STRINGS ${debian_dir}/changelog changelog_head LIMIT_COUNT 1)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${debian_dir}/changelog)
if(NOT changelog_head MATCHES "^hamlet \\(([^-)]+)-([^)]+)\\)")
  message(FATAL_ERROR "packaging/debian/changelog must start with 'hamlet (VERSION-REVISION) ...'")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "packaging/debian/changelog is at ${CMAKE_MATCH_1}, the project at ${PROJECT_VERSION}: "
                      "add a changelog entry")
endif()
set(HAMLET_DEBIAN_REVISION ${CMAKE_MATCH_2})
set(deb_version ${PROJECT_VERSION}-${HAMLET_DEBIAN_REVISION})

# Each package's /usr/share/doc: the copyright file and the Debian changelog (gzip -9n). Only
# installed when packaging (EXCLUDE_FROM_ALL: CPack installs per component, a plain install does not).
set(changelog_gz ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)
add_custom_command(OUTPUT ${changelog_gz}
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/packaging
                   COMMAND ${GZIP_PROGRAM} -9n -c ${debian_dir}/changelog > ${changelog_gz}
                   DEPENDS ${debian_dir}/changelog VERBATIM)
add_custom_target(hamlet_debian_changelog ALL DEPENDS ${changelog_gz})
foreach(package_component hamlet-helper:helper hamlet:gui)
  string(REPLACE ":" ";" parts ${package_component})
  list(GET parts 0 package)
  list(GET parts 1 component)
  install(FILES ${debian_dir}/copyright ${changelog_gz} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}
          COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hamlet)
set(CPACK_PACKAGE_VENDOR "The Hamlet developers")
set(CPACK_PACKAGE_CONTACT "The Hamlet developers <maintainers@hamlet.dev>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's synopsis is the first line of its component description; CPack would put the
# project's summary in front of it.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/debs)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Install with DESTDIR, so that CMAKE_INSTALL_PREFIX is /usr while the install rules run (the
# activation file and the unit are written with the helper's real path) and absolute destinations
# (the system D-Bus and polkit directories) land in the package, not on this machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_THREADS 0)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL helper gui)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${HAMLET_DEBIAN_REVISION})
set(CPACK_DEBIAN_PACKAGE_SOURCE hamlet)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${PROJECT_HOMEPAGE_URL})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# Control files and directories with the modes lintian expects, whatever the umask here.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)

set(CPACK_DEBIAN_HELPER_PACKAGE_NAME hamlet-helper)
set(CPACK_DEBIAN_HELPER_PACKAGE_DEPENDS "dbus, polkitd, runc | crun")
set(CPACK_DEBIAN_HELPER_PACKAGE_RECOMMENDS
    "qemu-system-x86, qemu-utils, libvirt-daemon-driver-qemu, busybox-static, e2fsprogs, containernetworking-plugins, dnsmasq-base, iptables, iproute2")
set(CPACK_DEBIAN_HELPER_PACKAGE_CONTROL_EXTRA ${debian_dir}/hamlet-helper/postinst
    ${debian_dir}/hamlet-helper/prerm ${debian_dir}/hamlet-helper/postrm)
set(CPACK_COMPONENT_HELPER_DESCRIPTION
    "privileged helper of Hamlet, for containers and virtual machines
hamlet-helper runs containers (with runc or crun, from an OCI image store)
and virtual machines (with libvirt and QEMU) for the Hamlet desktop
application and hamletctl. It serves dev.hamlet.Helper1 on the D-Bus
system bus, is started by D-Bus activation on first use and asks polkit
before every call whether the calling user may do what is asked.

This package holds the helper, its bus policy, D-Bus activation file,
systemd unit and polkit actions.")

set(CPACK_DEBIAN_GUI_PACKAGE_NAME hamlet)
set(CPACK_DEBIAN_GUI_PACKAGE_SECTION x11)
# The xcb platform plugin is loaded at run time, so shlibdeps cannot see it.
set(CPACK_DEBIAN_GUI_PACKAGE_DEPENDS "hamlet-helper (= ${deb_version}), qt6-qpa-plugins")
set(CPACK_COMPONENT_GUI_DESCRIPTION
    "desktop manager for containers and virtual machines
Hamlet lists containers (apartments: they share the host's kernel) and
virtual machines (houses: a guest system with a kernel of its own) side by
side in one window, creates them with a few clicks, and shows live
processor and memory charts, a terminal on a container or a virtual
machine's serial console, and a virtual machine's screen.

This package holds the window (hamlet) and the command-line client
(hamletctl); the work is done by hamlet-helper.")

include(CPack)
