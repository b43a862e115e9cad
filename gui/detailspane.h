#pragma once

#include <QWidget>

class QLabel;
class QTabWidget;

namespace Hamlet {

class ConsolePage;
class DisplayPage;
class HelperClient;
class InstanceListModel;
class OverviewPage;
class PerformancePage;

// The right-hand side for one selected instance: a header ("web1 · container · running") and
// the Overview, Performance, Console and Display tabs. It follows the instance in the model:
// state changes refresh the overview (and Inspect when it starts), every tick redraws the charts.
class DetailsPane : public QWidget
{
    Q_OBJECT
public:
    enum Tab { OverviewTab, PerformanceTab, ConsoleTab, DisplayTab };

    DetailsPane(HelperClient *client, InstanceListModel *model, QWidget *parent = nullptr);

    void setInstance(const QString &name);
    QString instance() const { return m_name; }
    void showTab(Tab tab);

    QLabel *header() const { return m_header; }
    QTabWidget *tabs() const { return m_tabs; }
    OverviewPage *overview() const { return m_overview; }
    PerformancePage *performance() const { return m_performance; }
    ConsolePage *console() const { return m_console; }
    DisplayPage *displayPage() const { return m_displayPage; }

private:
    void refreshOverview();
    void refreshPerformance();
    void inspect();
    // The helper's record: the last hour into the live history (charts open full), and the
    // buckets of a 24 h or 7 d window (again at most once a minute while it is shown).
    void fetchRecentHistory();
    void fetchLongHistory(int seconds);

    HelperClient *m_client;
    InstanceListModel *m_model;
    QString m_name;
    QString m_lastState;
    QLabel *m_header;
    QTabWidget *m_tabs;
    OverviewPage *m_overview;
    PerformancePage *m_performance;
    ConsolePage *m_console;
    DisplayPage *m_displayPage;
    int m_inspectGeneration = 0;
    qint64 m_longFetchedMs = 0;
};

} // namespace Hamlet
