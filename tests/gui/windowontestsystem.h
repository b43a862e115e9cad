#pragma once

#include "helperclient.h"
#include "mainwindow.h"
#include "testsystem.h"

#include <QTest>

#include <memory>

namespace Hamlet::Test {

// The window as a person sees it, on the real pieces: starts the private bus, polkitd and the
// helper, then a MainWindow on a HelperClient of that bus, shown at 1280x760 and connected (its
// first GetCapabilities answered). Returns "" or what failed, for QVERIFY2.
inline QString startWindowOnTestSystem(TestSystem &system, std::unique_ptr<HelperClient> &client,
                                       std::unique_ptr<MainWindow> &window)
{
    if (!system.startBus() || !system.startHelper())
        return system.error();
    client = std::make_unique<HelperClient>(system.busAddress());
    window = std::make_unique<MainWindow>(client.get());
    window->resize(1280, 760);
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get()))
        return QStringLiteral("the main window was never exposed");
    window->refresh();
    MainWindow *shown = window.get();
    if (!QTest::qWaitFor([shown] { return shown->capabilities().has_value(); }, 10000))
        return QStringLiteral("the window got no capabilities from the helper within 10 s");
    return {};
}

} // namespace Hamlet::Test
