#pragma once

#include "comparetable.h"

#include <QDialog>
#include <QTimer>

class QLabel;
class QTableWidget;

namespace Hamlet {

class CompareChart;
class HelperClient;
class InstanceListModel;

// Compare: a container and a VM (any two instances) side by side, from the helper's measurements
// (Inspect's "measured" part, laid out by CompareTable as hamletctl compare prints it): start to
// first output, host memory, disk (own and shared), kernel and walls; below, their CPU and memory
// charts overlaid. The figures are read again every 2 s while the dialog is open. Export saves
// the table as text or Markdown.
class CompareDialog : public QDialog
{
    Q_OBJECT
public:
    CompareDialog(HelperClient *client, InstanceListModel *model, const QString &a, const QString &b,
                  QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    CompareChart *cpuChart() const { return m_cpu; }
    CompareChart *memoryChart() const { return m_memory; }
    // The table as it is shown now, as Export writes it.
    QString exported(bool markdown) const;
    // The cell shown for a row label ("Host memory") and side (0, 1); "" when there is none.
    QString cell(const QString &label, int side) const;
    // Read both instances again (the 2 s timer calls it); emits refreshed when shown.
    void refresh();

Q_SIGNALS:
    void refreshed();

private:
    void showSides(const CompareTable::Side &a, const CompareTable::Side &b);
    void showProblem(const QString &problem);
    void exportTo();
    void drawCharts();

    HelperClient *m_client;
    InstanceListModel *m_model;
    QString m_names[2];
    std::optional<CompareTable::Side> m_sides[2];
    QLabel *m_problem;
    QTableWidget *m_table;
    CompareChart *m_cpu;
    CompareChart *m_memory;
    QTimer m_timer;
    bool m_reading = false;
};

} // namespace Hamlet
