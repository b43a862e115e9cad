#pragma once

// What GUI tests share: names that keep concurrent runs apart, where screenshots go,
// typing as a person would, and the main window's dialogs found as they open.
#include "containerwizard.h"
#include "mainwindow.h"
#include "namefield.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDir>
#include <QLineEdit>
#include <QTest>
#include <QWizard>

namespace Hamlet::Test {

// Container names are host-wide (cgroups): a suffix keeps concurrent test runs apart.
inline QString unique(const char *name)
{
    static const QString suffix = QString::number(QCoreApplication::applicationPid() % 100000);
    return QString::fromLatin1(name) + QLatin1Char('-') + suffix;
}

inline QString outputPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HAMLET_TEST_OUTPUT", QDir::tempPath());
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + name;
}

inline void typeInto(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

// The newest visible window of a kind (earlier ones may await deletion, or be left open by a
// failed test).
template <typename T> T *visibleChild(QObject *parent)
{
    T *newest = nullptr;
    for (T *candidate : parent->findChildren<T *>())
        if (candidate->isVisible())
            newest = candidate;
    return newest;
}

// Fills the open New container wizard's pages (name, command, no terminal, 64 MiB) up to Finish.
inline bool fillContainerWizard(ContainerWizard *wizard, const QString &name, const QString &command)
{
    if (!wizard || !QTest::qWaitForWindowExposed(wizard))
        return false;
    typeInto(wizard->nameField()->lineEdit(), name);
    typeInto(wizard->commandEdit(), command);
    wizard->ttyBox()->setChecked(false);
    QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
    typeInto(wizard->memoryEdit(), QStringLiteral("64 MiB"));
    QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
    // Network: the default (NAT, nothing published).
    QTest::mouseClick(wizard->button(QWizard::NextButton), Qt::LeftButton);
    return wizard->button(QWizard::FinishButton)->isEnabled();
}

} // namespace Hamlet::Test
