#pragma once

#include "callgate.h"
#include "capabilities.h"
#include "dbustypes.h"
#include "historyrecorder.h"
#include "imageservice.h"
#include "instanceregistry.h"
#include "jobobjects.h"
#include "subscriptions.h"

#include <QDBusContext>
#include <QObject>

namespace Hamlet {

// dev.hamlet.Manager1 at /dev/hamlet/Helper1: the helper's entry point. Each slot is called by
// the generated adaptor and answers through the CallGate, so nothing happens before polkit agrees.
class Manager : public QObject, protected QDBusContext
{
    Q_OBJECT
public:
    Manager(QDBusConnection bus, CallGate &gate, Capabilities capabilities, InstanceRegistry &registry,
            JobObjects &jobs, Subscriptions &subscriptions, QObject *parent = nullptr);

    const Capabilities &capabilities() const { return m_capabilities; }
    // The image methods answer Unsupported until this is set (after the backends exist).
    void setImageService(ImageService *images);
    // GetHistory answers Failed until this is set.
    void setHistory(History::Recorder *history) { m_history = history; }

public Q_SLOTS:
    QVariantMap GetCapabilities();
    Hamlet::InstanceSummaryList ListInstances();
    QDBusObjectPath CreateContainer(const QString &name, const QVariantMap &spec);
    QDBusObjectPath CreateVm(const QString &name, const QVariantMap &spec);
    Hamlet::VariantMapList ListImages();
    QDBusObjectPath PullImage(const QString &reference, const QVariantMap &options);
    QDBusObjectPath ImportImage(const QDBusUnixFileDescriptor &archive, const QString &format,
                                const QVariantMap &options);
    void RemoveImage(const QString &name);
    void Subscribe(uint intervalMs);
    void Unsubscribe();
    qlonglong GetHistory(const QString &name, qlonglong fromNs, qlonglong toNs, uint maxPoints,
                         Hamlet::TimeList &timesNs, Hamlet::HistorySeriesList &series);

Q_SIGNALS:
    // Never emitted through the adaptor (that would broadcast them): InstanceSignals sends them to
    // each subscriber, targeted.
    void InstanceAdded(const QString &name, const QString &kind, const QDBusObjectPath &path);
    void InstanceRemoved(const QString &name, const QDBusObjectPath &path);
    void ImagesChanged();
    // Never emitted through the adaptor: the Sampler sends batches to each subscriber, targeted.
    void Samples(qulonglong monotonicNs, const Hamlet::SampleBatch &samples);

private:
    void serveCreate(const QString &kind, const QString &name, const QVariantMap &spec);
    QCoro::Task<QDBusMessage> startCreate(QDBusMessage call, QString kind, QString name, QVariantMap spec);
    QCoro::Task<QDBusMessage> readHistory(QDBusMessage call, QString name, qlonglong fromNs, qlonglong toNs,
                                          uint maxPoints);
    QCoro::Task<> runCreate(InstanceBackend *backend, QString name, QVariantMap spec, Caller caller, Job *job);

    QDBusConnection m_bus;
    CallGate &m_gate;
    Capabilities m_capabilities;
    InstanceRegistry &m_registry;
    JobObjects &m_jobs;
    Subscriptions &m_subscriptions;
    ImageService *m_images = nullptr;
    History::Recorder *m_history = nullptr;
};

} // namespace Hamlet
