#include "imagelistmodel.h"

#include "formatting.h"
#include "imagename.h"
#include "kindicons.h"

#include <QLocale>

namespace Hamlet {

namespace {
const QString BusyboxName = QStringLiteral("busybox");

QString shortDigest(const QString &digest)
{
    return digest.section(QLatin1Char(':'), 1).left(12);
}

QString dateText(qint64 seconds)
{
    if (seconds <= 0)
        return {};
    return QLocale().toString(QDateTime::fromSecsSinceEpoch(seconds).date(), QLocale::ShortFormat);
}
} // namespace

ImageRow ImageRow::fromMap(const QVariantMap &map)
{
    ImageRow row;
    row.name = map.value(QStringLiteral("name")).toString();
    row.digest = map.value(QStringLiteral("digest")).toString();
    row.size = map.value(QStringLiteral("size")).toULongLong();
    row.layers = map.value(QStringLiteral("layers")).toUInt();
    row.created = map.value(QStringLiteral("created")).toLongLong();
    row.pulledAt = map.value(QStringLiteral("pulledAt")).toLongLong();
    row.source = map.value(QStringLiteral("source")).toString();
    row.usedBy = map.value(QStringLiteral("usedBy")).toStringList();
    if (row.source.isEmpty()) // a helper from before the source key: busybox is the only local one
        row.source = row.name == BusyboxName ? QStringLiteral("builtin") : QStringLiteral("registry");
    return row;
}

bool ImageRow::isBuiltin() const
{
    return source == QLatin1String("builtin");
}

ImageListModel::ImageListModel(HelperClient *client, QObject *parent)
    : QAbstractTableModel(parent)
    , m_client(client)
{
    connect(client, &HelperClient::imagesChanged, this, &ImageListModel::refresh);
    connect(client, &HelperClient::instanceAdded, this, &ImageListModel::refresh);
    connect(client, &HelperClient::instanceRemoved, this, &ImageListModel::refresh);
}

void ImageListModel::refresh()
{
    if (m_refreshing) {
        m_again = true;
        return;
    }
    m_refreshing = true;
    QCoro::connect(m_client->listImages(), this, [this](const Result<VariantMapList> &result) {
        m_refreshing = false;
        if (const auto *error = std::get_if<ClientError>(&result)) {
            Q_EMIT failed(*error);
        } else {
            QList<ImageRow> images;
            for (const QVariantMap &map : std::get<VariantMapList>(result))
                images << ImageRow::fromMap(map);
            setImages(std::move(images));
        }
        if (std::exchange(m_again, false)) {
            refresh();
            return;
        }
        Q_EMIT refreshed();
    });
}

void ImageListModel::setBuiltinAvailable(bool available)
{
    if (available == m_builtinAvailable)
        return;
    m_builtinAvailable = available;
    setImages(m_stored);
}

void ImageListModel::setImages(QList<ImageRow> stored)
{
    m_stored = stored;
    QList<ImageRow> images = std::move(stored);
    const bool hasBuiltin
        = std::any_of(images.begin(), images.end(), [](const ImageRow &image) { return image.name == BusyboxName; });
    if (m_builtinAvailable && !hasBuiltin) {
        ImageRow builtin;
        builtin.name = BusyboxName;
        builtin.source = QStringLiteral("builtin");
        builtin.stored = false;
        images.prepend(builtin);
    }
    std::stable_sort(images.begin(), images.end(), [](const ImageRow &a, const ImageRow &b) {
        if (a.isBuiltin() != b.isBuiltin())
            return a.isBuiltin();
        return a.name < b.name;
    });
    beginResetModel();
    m_images = std::move(images);
    m_loaded = true;
    endResetModel();
}

int ImageListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_images.size());
}

int ImageListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const ImageRow *ImageListModel::image(const QString &name) const
{
    const int row = rowOf(name);
    return row < 0 ? nullptr : &m_images.at(row);
}

int ImageListModel::rowOf(const QString &name) const
{
    for (int row = 0; row < m_images.size(); ++row)
        if (m_images.at(row).name == name)
            return row;
    return -1;
}

QString ImageListModel::label(const ImageRow &image)
{
    if (image.isBuiltin())
        return tr("%1 (built-in, no download)").arg(image.name);
    const ImageName reference = ImageName::split(image.name);
    QString text = reference.shortRepository();
    if (!reference.tag.isEmpty())
        text += QLatin1Char(':') + reference.tag;
    else if (!reference.digest.isEmpty())
        text += QLatin1Char('@') + reference.digest.left(19);
    return text;
}

QVariant ImageListModel::display(const ImageRow &image, int column) const
{
    const ImageName reference = ImageName::split(image.name);
    switch (column) {
    case NameColumn:
        return image.isBuiltin() ? tr("%1 (built-in)").arg(image.name) : reference.shortRepository();
    case TagColumn: {
        if (!image.stored)
            return tr("made on first use");
        const QString digest = shortDigest(image.digest);
        if (reference.tag.isEmpty() || digest.isEmpty())
            return reference.tag.isEmpty() ? digest : reference.tag;
        return QStringLiteral("%1 · %2").arg(reference.tag, digest);
    }
    case SizeColumn:
        return image.stored ? Format::bytes(image.size) : QStringLiteral("—");
    case LayersColumn:
        return image.stored ? QVariant(image.layers) : QVariant(QStringLiteral("—"));
    case CreatedColumn:
        if (!image.stored)
            return QStringLiteral("—");
        return image.created > 0 ? dateText(image.created) : tr("unknown");
    case SourceColumn:
        if (image.isBuiltin())
            return tr("this host's busybox");
        if (image.source == QLatin1String("archive"))
            return tr("imported archive");
        return reference.registry.isEmpty() ? QStringLiteral("docker.io") : reference.registry;
    case UsedByColumn:
        return image.usedBy.isEmpty() ? tr("no container") : image.usedBy.join(QStringLiteral(", "));
    default:
        return {};
    }
}

QString ImageListModel::tooltip(const ImageRow &image) const
{
    QString text = QStringLiteral("<b>%1</b>").arg(image.name.toHtmlEscaped());
    if (!image.digest.isEmpty())
        text += QStringLiteral("<br>") + image.digest;
    if (image.pulledAt > 0)
        text += QStringLiteral("<br>") + tr("In the store since %1").arg(dateText(image.pulledAt));
    if (image.isBuiltin())
        text += QStringLiteral("<br>")
            + tr("Made by the helper from this host's static busybox when it starts: no download. If "
                 "removed, it is made again when a container needs it.");
    return text;
}

QVariant ImageListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_images.size())
        return {};
    const ImageRow &image = m_images.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return display(image, index.column());
    case Qt::ToolTipRole:
        return tooltip(image);
    case ImageNameRole:
        return image.name;
    case Qt::DecorationRole:
        return index.column() == NameColumn ? QVariant(KindIcons::apartment()) : QVariant();
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn || index.column() == LayersColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant ImageListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Image");
    case TagColumn:
        return tr("Tag · digest");
    case SizeColumn:
        return tr("Size");
    case LayersColumn:
        return tr("Layers");
    case CreatedColumn:
        return tr("Created");
    case SourceColumn:
        return tr("From");
    case UsedByColumn:
        return tr("Used by");
    default:
        return {};
    }
}

} // namespace Hamlet
