#pragma once

#include "helperclient.h"

#include <QAbstractTableModel>
#include <QDateTime>

namespace Hamlet {

// One image of the helper's store, as ListImages describes it.
struct ImageRow {
    QString name; // what CreateContainer's image key takes
    QString digest;
    qulonglong size = 0;
    uint layers = 0;
    qint64 created = 0; // seconds since the epoch; 0: unknown
    qint64 pulledAt = 0;
    QString source; // "builtin", "registry", "archive" (or "" from an older helper)
    QStringList usedBy;
    // false for the built-in busybox while the store lacks it (removed, or a helper that could
    // not make it at start): the helper makes it again from the host's busybox when a container
    // asks for it, so it is still offered.
    bool stored = true;

    static ImageRow fromMap(const QVariantMap &map);
    bool isBuiltin() const;
};

// The images of the store, fed by ListImages and kept current: it asks again when the helper
// says ImagesChanged, and when a container comes or goes (that changes "used by"). The built-in
// busybox comes first, then the rest by name; the New container wizard offers them in that order.
class ImageListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        TagColumn,
        SizeColumn,
        LayersColumn,
        CreatedColumn,
        SourceColumn,
        UsedByColumn,
        ColumnCount
    };
    enum Role { ImageNameRole = Qt::UserRole + 1 };

    explicit ImageListModel(HelperClient *client, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const QList<ImageRow> &images() const { return m_images; }
    const ImageRow *image(const QString &name) const;
    int rowOf(const QString &name) const;
    bool hasLoaded() const { return m_loaded; }
    // Whether this host can make the built-in busybox image (Capabilities::busybox): if so, it is
    // listed (and offered) even before the store holds it.
    void setBuiltinAvailable(bool available);
    // A short label for one image: "alpine:latest", "busybox (built-in)".
    static QString label(const ImageRow &image);

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    void refreshed();
    void failed(const Hamlet::ClientError &error);

private:
    void setImages(QList<ImageRow> stored);
    QVariant display(const ImageRow &image, int column) const;
    QString tooltip(const ImageRow &image) const;

    HelperClient *m_client;
    QList<ImageRow> m_images;
    QList<ImageRow> m_stored; // as ListImages said
    bool m_builtinAvailable = false;
    bool m_loaded = false;
    bool m_refreshing = false;
    bool m_again = false; // a change arrived while a ListImages was on its way
};

} // namespace Hamlet
