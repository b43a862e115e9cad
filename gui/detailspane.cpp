#include "detailspane.h"

#include "consolepage.h"
#include "displaypage.h"
#include "helperclient.h"
#include "instancelistmodel.h"
#include "kindicons.h"
#include "logging.h"
#include "overviewpage.h"
#include "performancepage.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QTabWidget>
#include <QVBoxLayout>

namespace Hamlet {

DetailsPane::DetailsPane(HelperClient *client, InstanceListModel *model, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(model)
    , m_header(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_overview(new OverviewPage(this))
    , m_performance(new PerformancePage(this))
    , m_console(new ConsolePage(client, this))
    , m_displayPage(new DisplayPage(client, this))
{
    m_header->setObjectName(QStringLiteral("detailsHeader"));
    QFont font = m_header->font();
    font.setPointSizeF(font.pointSizeF() * 1.3);
    font.setBold(true);
    m_header->setFont(font);
    m_header->setWordWrap(true);
    auto *icon = new QLabel(this);
    icon->setObjectName(QStringLiteral("detailsIcon"));
    auto *top = new QHBoxLayout;
    top->addWidget(icon);
    top->addWidget(m_header, 1);

    m_tabs->addTab(m_overview, tr("Overview"));
    m_tabs->addTab(m_performance, tr("Performance"));
    m_tabs->addTab(m_console, tr("Console"));
    m_tabs->addTab(m_displayPage, tr("Display"));

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_tabs, 1);

    connect(m_model, &InstanceListModel::dataChanged, this,
            [this, icon](const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &roles) {
                const int row = m_model->rowOf(m_name);
                if (row < topLeft.row() || row > bottomRight.row())
                    return;
                if (!roles.isEmpty() && !roles.contains(Qt::DisplayRole))
                    return;
                if (topLeft.column() == 0 || !roles.contains(InstanceListModel::CpuPercentRole)) {
                    if (const auto *instance = m_model->instance(m_name))
                        icon->setPixmap(KindIcons::forKind(instance->kind).pixmap(32, 32));
                    refreshOverview();
                }
            });
    connect(m_model, &InstanceListModel::samplesAdded, this, [this](const QStringList &names) {
        if (names.contains(m_name) && m_tabs->currentWidget() == m_performance)
            refreshPerformance();
    });
    connect(m_model, &InstanceListModel::modelReset, this, [this, icon] {
        if (const auto *instance = m_model->instance(m_name))
            icon->setPixmap(KindIcons::forKind(instance->kind).pixmap(32, 32));
        refreshOverview();
    });
    connect(m_performance, &PerformancePage::longWindowWanted, this, &DetailsPane::fetchLongHistory);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_performance)
            refreshPerformance();
        // Consoles are opened only while their tab is shown, and kept until another instance.
        if (m_tabs->currentWidget() == m_console)
            m_console->activate();
        else
            m_console->deactivate();
        if (m_tabs->currentWidget() == m_displayPage)
            m_displayPage->activate();
        else
            m_displayPage->deactivate();
    });
}

void DetailsPane::setInstance(const QString &name)
{
    if (name == m_name)
        return;
    m_name = name;
    m_lastState.clear();
    m_overview->clear();
    m_performance->clear();
    if (const auto *instance = m_model->instance(name))
        findChild<QLabel *>(QStringLiteral("detailsIcon"))
            ->setPixmap(KindIcons::forKind(instance->kind).pixmap(32, 32));
    refreshOverview();
    refreshPerformance();
    m_longFetchedMs = 0;
    if (!name.isEmpty())
        fetchRecentHistory();
}

void DetailsPane::showTab(Tab tab)
{
    m_tabs->setCurrentIndex(tab);
}

void DetailsPane::refreshOverview()
{
    const auto *instance = m_model->instance(m_name);
    if (!instance) {
        m_header->setText(m_name.isEmpty() ? QString() : tr("%1 · removed").arg(m_name));
        m_console->showInstance({}, {}, false, {});
        m_displayPage->showInstance({}, {}, {});
        return;
    }
    const QString kind = instance->kind == QLatin1String("vm") ? tr("VM") : tr("container");
    m_header->setText(QStringLiteral("%1 · %2 · %3").arg(instance->name, kind, instance->state));
    m_overview->showInstance(*instance);
    m_console->showInstance(instance->name, instance->kind, instance->spec.value(QStringLiteral("tty")).toBool(),
                            instance->state);
    m_displayPage->showInstance(instance->name, instance->kind, instance->state);
    if (instance->state != m_lastState) {
        m_lastState = instance->state;
        inspect();
    }
}

void DetailsPane::refreshPerformance()
{
    const auto *instance = m_model->instance(m_name);
    if (!instance) {
        m_performance->clear();
        return;
    }
    m_performance->showHistory(m_model->stats().history(m_name), instance->cpuLimitCores, instance->memoryLimitBytes,
                               instance->pidsLimit);
    const int window = m_performance->windowSeconds();
    if (window > PerformancePage::LongestLiveWindow && QDateTime::currentMSecsSinceEpoch() - m_longFetchedMs > 60000)
        fetchLongHistory(window);
}

void DetailsPane::fetchRecentHistory()
{
    const QString name = m_name;
    const qint64 nowNs = QDateTime::currentMSecsSinceEpoch() * 1'000'000;
    const qint64 hourNs = qint64(PerformancePage::LongestLiveWindow) * 1'000'000'000;
    QCoro::connect(m_client->history(name, nowNs - hourNs, nowNs, 0), this,
                   [this, name](const Result<HistoryData> &result) {
                       // A helper without history (older, or --no-history) leaves the live charts as they are.
                       if (const auto *history = std::get_if<HistoryData>(&result))
                           m_model->seedHistory(name, *history);
                   });
}

void DetailsPane::fetchLongHistory(int seconds)
{
    if (m_name.isEmpty())
        return;
    m_longFetchedMs = QDateTime::currentMSecsSinceEpoch();
    const QString name = m_name;
    const qint64 nowNs = m_longFetchedMs * 1'000'000;
    QCoro::connect(m_client->history(name, nowNs - qint64(seconds) * 1'000'000'000, nowNs, 600), this,
                   [this, name, seconds](const Result<HistoryData> &result) {
                       if (name != m_name || m_performance->windowSeconds() != seconds)
                           return; // an answer for a window no longer shown
                       if (const auto *history = std::get_if<HistoryData>(&result))
                           m_performance->showLongHistory(*history);
                   });
}

void DetailsPane::inspect()
{
    const int generation = ++m_inspectGeneration;
    const QString name = m_name;
    QCoro::connect(m_client->inspect(name), this, [this, generation, name](const Result<QVariantMap> &result) {
        if (generation != m_inspectGeneration || name != m_name)
            return; // an answer about an instance no longer shown
        if (const auto *parts = std::get_if<QVariantMap>(&result))
            m_overview->showInspect(*parts);
        else
            m_overview->showInspectProblem(tr("Cannot inspect %1: %2").arg(name, std::get<ClientError>(result).text()));
    });
}

} // namespace Hamlet
